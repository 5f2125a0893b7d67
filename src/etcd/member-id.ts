// etcd's member and cluster ids, computed the way etcd computes them, so a restore can
// say in advance which cluster it creates and check afterwards that every member runs the
// restored data (server/etcdserver/api/membership/member.go and cluster.go, v3.4–v3.6):
//   member id  = first 8 bytes (big-endian) of sha1(sorted peer URLs concatenated + token)
//   cluster id = first 8 bytes of sha1(the sorted member ids, 8 bytes big-endian each)
// This holds for members created from an --initial-cluster (bootstrap, and every member a
// `snapshot restore` creates); a member added at runtime (`member add`, what kubeadm join
// does) mixes the current time into its id, so only the live cluster can say it. The
// cluster id is fixed when the cluster is bootstrapped: adding members does not change
// it. Ids are written as etcd prints them: lowercase hex without leading zeros.

import { createHash } from 'node:crypto';
import { DrbookError } from '../core/errors.js';
import { parseInitialCluster } from './manifest.js';

/** etcd's default --initial-cluster-token (etcdctl snapshot restore uses it too when none is given). */
export const DEFAULT_CLUSTER_TOKEN = 'etcd-cluster';

export function computeMemberId(peerUrls: readonly string[], token: string = DEFAULT_CLUSTER_TOKEN): string {
  const sorted = peerUrls.map((u) => u.trim()).sort();
  const digest = createHash('sha1')
    .update(sorted.join('') + token)
    .digest();
  return digest.readBigUInt64BE(0).toString(16);
}

export function computeClusterId(memberIds: readonly string[]): string {
  const ids = memberIds.map(parseMemberId).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = Buffer.alloc(8 * ids.length);
  ids.forEach((id, i) => bytes.writeBigUInt64BE(id, 8 * i));
  return createHash('sha1').update(bytes).digest().readBigUInt64BE(0).toString(16);
}

/** A hex id as etcd prints it ("8e9e05c52164694d"), or a bigint, as a number. */
export function parseMemberId(id: string | bigint): bigint {
  if (typeof id === 'bigint') return id;
  const text = id.trim();
  if (!/^[0-9a-f]{1,16}$/i.test(text)) throw new DrbookError('input', `"${id}" is not an etcd member id (hex, as etcd prints it: 8e9e05c52164694d)`);
  return BigInt(`0x${text}`);
}

/** The hex form etcd prints, from the decimal string the etcd3 client gives (or a bigint). */
export function hexId(id: string | bigint): string {
  return (typeof id === 'bigint' ? id : BigInt(id)).toString(16);
}

export interface PredictedMember {
  name: string;
  peerUrls: string[];
  id: string;
}

export interface PredictedCluster {
  members: PredictedMember[];
  clusterId: string;
  token: string;
}

/**
 * The cluster `snapshot restore --initial-cluster X --initial-cluster-token T` creates on
 * every member: a name with several URLs is one member (etcd's URLsMap).
 */
export function predictRestoredCluster(initialCluster: string, token: string = DEFAULT_CLUSTER_TOKEN): PredictedCluster {
  const byName = new Map<string, string[]>();
  for (const { name, peerUrl } of parseInitialCluster(initialCluster)) {
    if (!peerUrl) throw new DrbookError('input', `--initial-cluster entry "${name}" has no peer URL (expected name=URL)`);
    byName.set(name, [...(byName.get(name) ?? []), peerUrl]);
  }
  const members = [...byName].map(([name, peerUrls]) => ({ name, peerUrls, id: computeMemberId(peerUrls, token) }));
  const ids = new Set(members.map((m) => m.id));
  if (ids.size !== members.length) throw new DrbookError('input', `--initial-cluster ${initialCluster} gives two members the same id (the same peer URLs)`);
  return { members, clusterId: computeClusterId(members.map((m) => m.id)), token };
}
