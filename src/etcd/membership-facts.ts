// The membership a restore decides from, combined from three sources that each tell a
// different part of the truth, and every place where they disagree:
//   - each inventory host's own facts: authoritative for that host (its name, peer URL,
//     data dir), whatever its manifest's --initial-cluster says;
//   - the live cluster's member list, when any member answers: who is a member now;
//   - the snapshot's members bucket: who was a member when the snapshot was taken;
//   - the manifests' --initial-cluster lists: history only (kubeadm writes, per master,
//     the members that existed when it joined; removed masters stay in old lists).
// Pure: the sources are probed beforehand (layout-discovery, live-members,
// snapshot-members). Members are matched across sources by peer URL, then by name.
// Every disagreement carries a code (for the refusals a runbook makes), a level and a
// message naming what and where; the rows let a plan show the sources side by side.

import type { EtcdMemberFacts } from './member-facts.js';
import type { LiveMember, LiveMembership } from './live-members.js';
import type { SnapshotMember, SnapshotMembership } from './snapshot-members.js';
import { parseInitialCluster } from './manifest.js';

/** One inventory host's own member (its discovered facts, after any inventory overrides). */
export interface HostMember {
  host: string;
  own?: Pick<EtcdMemberFacts, 'name' | 'peerUrls' | 'clientUrls' | 'dataDir' | 'hostDataDir' | 'layout' | 'initialCluster'>;
  /** Why the host has no facts (discovery refused, unreachable...). */
  problem?: string;
}

export interface MembershipInput {
  hosts: HostMember[];
  /** null: the live cluster was not asked. */
  live: LiveMembership | null;
  /** null: the snapshot was not read. */
  snapshot: SnapshotMembership | null;
  /** Members the operator drops on purpose (names or peer URLs): lost masters to re-join later. */
  drop?: string[];
}

export interface MembershipRow {
  /** The member's name: the live list's, else the host's, the snapshot's, the history's. '' if none knows it. */
  name: string;
  peerUrls: string[];
  host?: string;
  own?: HostMember['own'];
  live?: LiveMember;
  snapshot?: SnapshotMember;
  /** Hosts whose manifest's --initial-cluster lists it, with the name each wrote there. */
  listedBy: Array<{ host: string; name: string }>;
  dropped: boolean;
}

export type DisagreementCode =
  | 'host-without-facts'
  | 'duplicate-name'
  | 'duplicate-peer-url'
  | 'several-clusters'
  | 'no-live-answer'
  | 'no-leader'
  | 'snapshot-from-other-cluster'
  | 'live-not-covered'
  | 'snapshot-not-covered'
  | 'removed-since-snapshot'
  | 'history-only'
  | 'history-not-covered'
  | 'dropped'
  | 'drop-unknown'
  | 'host-not-live'
  | 'host-not-in-snapshot'
  | 'name-differs'
  | 'peer-url-differs'
  | 'learner'
  | 'unstarted'
  | 'restore-leftover-records';

export interface Disagreement {
  level: 'error' | 'warn' | 'info';
  code: DisagreementCode;
  message: string;
  /** The inventory hosts it concerns (may be empty for a member no host covers). */
  hosts: string[];
  /** The member's name or peer URL. */
  member?: string;
}

export interface RestoreMember {
  host: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  dataDir: string;
  hostDataDir: string;
}

export interface MembershipFacts {
  rows: MembershipRow[];
  /** What every member restores with: each host's own member, in inventory order. */
  restore: { members: RestoreMember[]; initialCluster: string };
  /** Which source says who the members are now: the live cluster when it answered, else the snapshot, else history. */
  authority: 'live' | 'snapshot' | 'history' | 'none';
  counts: { hosts: number; live?: number; snapshot?: number; history: number; largestHistory: number };
  /** Whether each source was read, for a plan's "?" (not read) versus "-" (not there). */
  sources: { live: 'answered' | 'no answer' | 'not asked'; snapshot: 'read' | 'not read' };
  /** The live leader's id, when the answering members agree on one. */
  leader?: string;
  disagreements: Disagreement[];
}

const norm = (url: string) => url.trim().toLowerCase().replace(/\/+$/, '');
const label = (row: Pick<MembershipRow, 'name' | 'peerUrls'>) => `${row.name || '(unnamed)'} (${row.peerUrls.join(',') || 'no peer URL'})`;
const listers = (row: MembershipRow) => {
  const hosts = [...new Set(row.listedBy.map((l) => l.host))];
  return hosts.length === 1 ? `${hosts[0]}'s manifest lists` : `the manifests of ${hosts.join(', ')} list`;
};

export function combineMembership(input: MembershipInput): MembershipFacts {
  const rows: MembershipRow[] = [];
  const out: Disagreement[] = [];
  const say = (level: Disagreement['level'], code: DisagreementCode, message: string, hosts: string[] = [], member?: string) => out.push({ level, code, message, hosts, member });
  const find = (name: string, peerUrls: string[]) => rows.find((r) => r.peerUrls.some((u) => peerUrls.some((p) => norm(p) === norm(u)))) ?? (name ? rows.find((r) => r.name === name) : undefined);
  const place = (name: string, peerUrls: string[]) => {
    const row = find(name, peerUrls) ?? rows[rows.push({ name, peerUrls: [...peerUrls], listedBy: [], dropped: false }) - 1]!;
    if (!row.name && name) row.name = name;
    for (const url of peerUrls) if (!row.peerUrls.some((u) => norm(u) === norm(url))) row.peerUrls.push(url);
    return row;
  };

  // Each host's own member first (inventory order), then the sources that only tell.
  for (const host of input.hosts) {
    if (!host.own) {
      say('error', 'host-without-facts', `${host.host}: no etcd member facts: ${host.problem ?? 'not read'}`, [host.host]);
      continue;
    }
    const claimed = find(host.own.name, host.own.peerUrls);
    if (claimed?.host) {
      const sameName = claimed.name === host.own.name;
      say(
        'error',
        sameName ? 'duplicate-name' : 'duplicate-peer-url',
        sameName
          ? `etcd member name ${host.own.name} is claimed by ${claimed.host} and ${host.host}: every host must restore its own member`
          : `peer URL ${host.own.peerUrls.join(',')} is claimed by ${claimed.host} (${claimed.name}) and ${host.host} (${host.own.name}): two members cannot share a peer URL`,
        [claimed.host, host.host],
        host.own.name,
      );
      continue;
    }
    const row = rows[rows.push({ name: host.own.name, peerUrls: [...host.own.peerUrls], listedBy: [], dropped: false }) - 1]!;
    row.host = host.host;
    row.own = host.own;
  }
  const live = input.live?.answered ? input.live : null;
  for (const member of live?.members ?? []) {
    const row = place(member.name, member.peerUrls);
    row.live = member;
    if (member.name) row.name = member.name;
  }
  const { members: snapshotMembers, leftovers } = collapseRestoreLeftovers(input.snapshot?.members ?? [], live?.members.map((m) => m.id) ?? []);
  for (const member of snapshotMembers) place(member.name, member.peerUrls).snapshot = member;
  for (const group of leftovers) {
    say(
      'info',
      'restore-leftover-records',
      `the snapshot records ${group.length} member entries with peer URL ${group[0]!.peerUrls.join(',')} (ids ${group.map((m) => m.id).join(', ')}): records an earlier restore left in the backend (etcd 3.4's restore keeps the old cluster's); counted as one member`,
      [],
      group[0]!.name,
    );
  }
  for (const host of input.hosts) {
    for (const entry of parseInitialCluster(host.own?.initialCluster ?? '')) {
      if (!entry.peerUrl) continue;
      place(entry.name, [entry.peerUrl]).listedBy.push({ host: host.host, name: entry.name });
    }
  }

  const drops = input.drop ?? [];
  for (const drop of drops) {
    const row = rows.find((r) => r.name === drop || r.peerUrls.some((u) => norm(u) === norm(drop)));
    if (!row) say('error', 'drop-unknown', `member ${drop} is to be dropped, but no source knows a member of that name or peer URL`, [], drop);
    else if (row.host) say('error', 'drop-unknown', `member ${drop} is to be dropped, but it is ${row.host}'s own member: remove ${row.host} from the inventory instead`, [row.host], drop);
    else row.dropped = true;
  }

  // What the live answers say about the cluster as a whole.
  if (input.live && !input.live.answered) say('info', 'no-live-answer', `${input.live.problem ?? 'no etcd member answered'}: the membership is the snapshot's`);
  if (live && live.clusterIds.length > 1) {
    const byId = live.clusterIds.map(
      (id) =>
        `${id} (${live.endpoints
          .filter((e) => e.clusterId === id)
          .map((e) => e.endpoint)
          .join(', ')})`,
    );
    say('error', 'several-clusters', `the etcd endpoints answer for ${live.clusterIds.length} different clusters: ${byId.join('; ')}: a split brain, or an endpoint of another cluster`);
  }
  if (live?.noLeader)
    say('warn', 'no-leader', `the etcd members that answer see no leader: the live cluster has no quorum (${live.endpoints.filter((e) => e.ok).length} of ${live.members.length} members answer)`);
  if (live && snapshotMembers.length && !snapshotMembers.some((s) => live.members.some((m) => m.id === s.id))) {
    say('warn', 'snapshot-from-other-cluster', 'the snapshot shares no member id with the live cluster: it was taken from another cluster, or this cluster was rebuilt since');
  }

  const coveredLive = rows.filter((r) => r.host && r.live).length;
  const coveredSnapshot = rows.filter((r) => r.host && r.snapshot).length;
  const authority: MembershipFacts['authority'] = live ? 'live' : snapshotMembers.length ? 'snapshot' : rows.some((r) => r.listedBy.length) ? 'history' : 'none';
  for (const row of rows) {
    const who = label(row);
    const hosts = row.host ? [row.host] : row.listedBy.map((l) => l.host);
    if (!row.host) {
      if (row.dropped) {
        say(
          'warn',
          'dropped',
          `${who} is dropped: the restored cluster will not have it${row.live ? '; it is a live member: stop its etcd before the restore, then re-join it with `member add`' : ''}`,
          hosts,
          row.name,
        );
      } else if (row.live) {
        say(
          'error',
          'live-not-covered',
          `the live cluster has ${live!.members.length} members, the inventory covers ${coveredLive}: ${who} is not covered (add that master to the inventory, or drop it)`,
          hosts,
          row.name,
        );
      } else if (row.snapshot && live) {
        say(
          'info',
          'removed-since-snapshot',
          `the snapshot records ${who}, which is no longer a live member: removed since the snapshot was taken (the restore does not bring it back)`,
          hosts,
          row.name,
        );
      } else if (row.snapshot) {
        say(
          'error',
          'snapshot-not-covered',
          `the snapshot records ${snapshotMembers.length} members, the inventory covers ${coveredSnapshot}: ${who} is not covered (add that master to the inventory, or drop it)`,
          hosts,
          row.name,
        );
      } else if (authority === 'history') {
        say(
          'warn',
          'history-not-covered',
          `${listers(row)} ${who}, which no inventory host covers; neither the live cluster nor the snapshot was read to tell whether it is still a member`,
          hosts,
          row.name,
        );
      } else {
        say('info', 'history-only', `${listers(row)} ${who}, which is neither a live member nor in the snapshot: history (a removed member?)`, hosts, row.name);
      }
    } else {
      if (live && !row.live)
        say(
          'warn',
          'host-not-live',
          `${row.host}'s etcd ${who} is not a member of the live cluster: it never joined, or was removed (the restore makes it a member of the new cluster)`,
          hosts,
          row.name,
        );
      if (snapshotMembers.length && !row.snapshot) say('info', 'host-not-in-snapshot', `${row.host}'s etcd ${who} was not a member when the snapshot was taken (it joined since?)`, hosts, row.name);
      for (const [source, other] of [
        ['the live cluster', row.live],
        ['the snapshot', row.snapshot],
      ] as const) {
        if (!other) continue;
        if (other.name && other.name !== row.own!.name)
          say('warn', 'name-differs', `${row.host} runs etcd as ${row.own!.name}, but ${source} names the member with its peer URL ${other.name}`, hosts, row.own!.name);
        if (!other.peerUrls.some((u) => row.own!.peerUrls.some((p) => norm(p) === norm(u)))) {
          say(
            'warn',
            'peer-url-differs',
            `${row.host} advertises ${row.own!.peerUrls.join(',')} for ${row.own!.name}, but ${source} lists ${other.peerUrls.join(',')} (did its address change?)`,
            hosts,
            row.own!.name,
          );
        }
      }
    }
    if (row.live?.isLearner) say('warn', 'learner', `${who} is a learner in the live cluster (not voting yet)`, hosts, row.name);
    if (row.live && !row.live.name) say('warn', 'unstarted', `the live cluster has a member added at ${row.live.peerUrls.join(',')} that never started`, hosts);
  }

  const members = input.hosts.flatMap((h) => {
    const row = rows.find((r) => r.host === h.host);
    return row?.own ? [{ host: h.host, name: row.own.name, peerUrls: row.own.peerUrls, clientUrls: row.own.clientUrls, dataDir: row.own.dataDir, hostDataDir: row.own.hostDataDir }] : [];
  });
  const histories = input.hosts.map((h) => parseInitialCluster(h.own?.initialCluster ?? '').length);
  return {
    rows,
    restore: { members, initialCluster: members.flatMap((m) => m.peerUrls.map((u) => `${m.name}=${u}`)).join(',') },
    authority,
    counts: {
      hosts: input.hosts.length,
      live: live ? live.members.length : undefined,
      snapshot: input.snapshot ? snapshotMembers.length : undefined,
      history: rows.filter((r) => r.listedBy.length).length,
      largestHistory: Math.max(0, ...histories),
    },
    sources: { live: input.live === null ? 'not asked' : input.live.answered ? 'answered' : 'no answer', snapshot: input.snapshot ? 'read' : 'not read' },
    leader: live?.leader,
    disagreements: out,
  };
}

/**
 * etcd 3.4's `snapshot restore` leaves the old cluster's records in the backend's members
 * bucket (3.4 keeps the membership in its v2 store; the bucket is only added to), so a
 * snapshot of a restored cluster records each member twice: its old id and its new one,
 * with one peer URL (seen with etcd 3.4.23: restore, start, snapshot again). Two members
 * can never share a peer URL (etcd refuses such a `member add`), so records that do are
 * one member: the record of a live member id is kept, else the first.
 */
function collapseRestoreLeftovers(members: SnapshotMember[], liveIds: string[]): { members: SnapshotMember[]; leftovers: SnapshotMember[][] } {
  const groups: SnapshotMember[][] = [];
  for (const member of members) {
    const group = groups.find((g) => g[0]!.peerUrls.length > 0 && g[0]!.peerUrls.some((u) => member.peerUrls.some((p) => norm(p) === norm(u))));
    if (group) group.push(member);
    else groups.push([member]);
  }
  return {
    members: groups.map((g) => g.find((m) => liveIds.includes(m.id)) ?? g[0]!),
    leftovers: groups.filter((g) => g.length > 1),
  };
}
