// The membership a snapshot records: the members of the cluster it was saved from, as
// that cluster's backend held them when the snapshot was taken. etcd keeps them in three
// bbolt buckets (server/etcdserver/api/membership/store.go, v3.4 and v3.5; checked against
// a real 3.4.23 snapshot in test/etcd/snapshot-members.test.ts):
//   members          key: member id in hex (types.ID.String(), no leading zeros)
//                    value: the JSON of membership.Member:
//                    {"id":<uint64>,"peerURLs":[...],"name":"...","clientURLs":[...],"isLearner":true}
//                    (name and clientURLs are omitted until the member has started; isLearner when false)
//   members_removed  key: hex id of a removed member, value "removed"
//   cluster          key "clusterVersion": "3.4.0" (major.minor.0); 3.5 adds "downgrade"
// A snapshot is read page by page (readBoltLazily): the head, the root page and the pages
// of these small buckets, never the multi-GB file whole. The JSON id is a uint64 beyond
// JavaScript's safe integers, so it is compared as text with the bucket key.

import { BoltFormatError, BoltReader, readBoltLazily, type LazyReadStats } from './bbolt.js';
import { readFileRange } from './file-range.js';
import type { Transport } from '../core/transport.js';

export interface SnapshotMember {
  /** Hex, as etcd prints it. */
  id: string;
  /** '' for a member that was added but had not started when the snapshot was taken. */
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface SnapshotMembership {
  members: SnapshotMember[];
  /** Ids of members removed from the cluster at some point (hex). */
  removedIds: string[];
  /** The cluster version the snapshot's cluster ran at ("3.4.0"); undefined when not recorded. */
  clusterVersion?: string;
  /** Values drbook could not read (they are left out of `members`), or missing buckets. */
  problems: string[];
}

/** Read the membership buckets (pure: from an open reader). */
export function readMembership(reader: BoltReader): SnapshotMembership {
  const names = reader.bucketNames();
  const problems: string[] = [];
  if (!names.includes('members')) problems.push('the snapshot has no "members" bucket (an etcd older than 3.3 wrote it, or it is not an etcd backend)');
  const members: SnapshotMember[] = [];
  for (const entry of reader.bucket('members')) {
    const key = entry.key.toString('utf8');
    const text = entry.value.toString('utf8');
    const member = parseMember(key, text);
    if (typeof member === 'string') problems.push(`members bucket, key ${JSON.stringify(key)}: ${member}`);
    else members.push(member);
  }
  const removedIds = [...reader.bucket('members_removed')].map((e) => e.key.toString('utf8'));
  let clusterVersion: string | undefined;
  for (const entry of reader.bucket('cluster')) {
    if (entry.key.toString('utf8') === 'clusterVersion') clusterVersion = entry.value.toString('utf8');
  }
  return { members, removedIds, clusterVersion, problems };
}

function parseMember(key: string, text: string): SnapshotMember | string {
  if (!/^[0-9a-f]{1,16}$/.test(key)) return 'not a hex member id';
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `the value is not JSON: ${text.slice(0, 80)}`;
  }
  const id = /"id"\s*:\s*(\d+)/.exec(text)?.[1];
  if (id === undefined || BigInt(id) !== BigInt(`0x${key}`)) return `the value's id ${id ?? '(none)'} is not the key's (${BigInt(`0x${key}`)})`;
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  return {
    id: key,
    name: typeof json.name === 'string' ? json.name : '',
    peerUrls: strings(json.peerURLs),
    clientUrls: strings(json.clientURLs),
    isLearner: json.isLearner === true,
  };
}

/** From a snapshot (or member/snap/db) already in memory. */
export function readSnapshotMembershipFromBuffer(data: Buffer): SnapshotMembership {
  return readMembership(new BoltReader(data));
}

export interface SnapshotMembershipRead extends SnapshotMembership {
  /** How much of the file was read to answer. */
  stats: LazyReadStats;
}

/** Read the membership of a snapshot on a host through the transport, page by page. */
export async function readSnapshotMembership(transport: Pick<Transport, 'kind' | 'exec' | 'hostName' | 'stat'>, path: string): Promise<SnapshotMembershipRead> {
  const info = await transport.stat(path);
  if (!info) throw new BoltFormatError(`${path} does not exist on ${transport.hostName}`);
  if (info.type !== 'file') throw new BoltFormatError(`${path} on ${transport.hostName} is a ${info.type}, not a file`);
  const { value, stats } = await readBoltLazily((offset, length) => readFileRange(transport, path, offset, length), readMembership);
  return { ...value, stats };
}
