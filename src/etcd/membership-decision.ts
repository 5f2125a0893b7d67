// What a restore runbook decides from the membership facts (membership-facts.ts), before
// any change: the refusals that prevent a split brain, and what the plan must say.
//   hosts (the HA runbook): the step's hosts are the restored cluster. Every member the
//     live cluster (or, when none answers, the snapshot) has must be covered by a host,
//     unless the operator drops it on purpose (dropMembers: a lost master to re-join
//     later); the restored cluster then has only the covered members, and the plan says so.
//   self (the single-master runbook): this host alone becomes the restored cluster. More
//     than one member anywhere (live, in the snapshot, in this host's own manifest) is
//     refused, pointing to the HA runbook, unless `standalone` says to make this master a
//     new 1-member cluster; then the plan says what must happen to the other members, and
//     a live cluster that still has quorum (so its other members run) is refused.
// Pure: findings per host, no probes.

import type { Finding } from '../core/action.js';
import { parseInitialCluster } from './manifest.js';
import type { Disagreement, MembershipFacts, MembershipRow } from './membership-facts.js';

export type RestoreScope = 'hosts' | 'self';

export interface DecisionInput {
  facts: MembershipFacts;
  scope: RestoreScope;
  /** The step's hosts, in inventory order. */
  hosts: string[];
  standalone?: boolean;
}

export interface MembershipDecision {
  findings: Array<{ host: string; finding: Finding }>;
  /** The members the restored cluster will have (name=peer,...). */
  initialCluster: string;
  /** Members outside the restored cluster that must be stopped, wiped and re-joined (dropped, or the others of a standalone restore). */
  leftOut: MembershipRow[];
}

export const HA_RUNBOOK = 'runbooks/etcd-restore-ha.yaml';

const label = (row: Pick<MembershipRow, 'name' | 'peerUrls'>) => `${row.name || '(unnamed)'} (${row.peerUrls.join(',') || 'no peer URL'})`;

/** How to bring a member that is not in the restored cluster back, once the restore is verified. */
export function rejoinAdvice(rows: MembershipRow[], restoredOn: string): string {
  const names = rows.map(label).join(', ');
  return (
    `for each of ${names}: stop its etcd (move its etcd.yaml out of the manifests folder) if it still runs, keep and then wipe its data dir, ` +
    `and re-join it to the restored cluster: \`etcdctl member add <name> --peer-urls=<peer URL>\` against ${restoredOn}, then start it with --initial-cluster-state=existing ` +
    '(kubeadm: `kubeadm reset` on that master, then `kubeadm join --control-plane`)'
  );
}

export function decideMembership(input: DecisionInput): MembershipDecision {
  return input.scope === 'self' ? decideSelf(input) : decideHosts(input);
}

function spread(input: DecisionInput, d: Disagreement, level: Finding['level'] = d.level): Array<{ host: string; finding: Finding }> {
  const own = d.hosts.filter((h) => input.hosts.includes(h));
  const hosts = own.length ? own : level === 'error' ? input.hosts : input.hosts.slice(0, 1);
  return hosts.map((host) => ({ host, finding: { level, message: d.message } }));
}

function decideHosts(input: DecisionInput): MembershipDecision {
  const { facts } = input;
  const findings: MembershipDecision['findings'] = [];
  for (const d of facts.disagreements) {
    const advice = d.code === 'live-not-covered' || d.code === 'snapshot-not-covered' ? ` (to drop it: -p dropMembers=${d.member || '<name>'})` : '';
    findings.push(...spread(input, { ...d, message: d.message + advice }));
  }
  const leftOut = facts.rows.filter((r) => r.dropped);
  const restored = facts.restore.members.map((m) => m.name);
  if (leftOut.length) {
    findings.push({
      host: input.hosts[0]!,
      finding: {
        level: 'warn',
        message: `the restored cluster has only the ${restored.length} covered member(s) ${restored.join(', ')}; dropped: ${leftOut.map(label).join(', ')}. After the restore, ${rejoinAdvice(leftOut, 'a restored member')}`,
      },
    });
  }
  return { findings, initialCluster: facts.restore.initialCluster, leftOut };
}

function decideSelf(input: DecisionInput): MembershipDecision {
  const { facts } = input;
  const findings: MembershipDecision['findings'] = [];
  const error = (host: string, message: string) => findings.push({ host, finding: { level: 'error', message } });
  for (const d of facts.disagreements) {
    if (d.code === 'host-without-facts' || d.code === 'several-clusters' || d.code === 'duplicate-name' || d.code === 'duplicate-peer-url') findings.push(...spread(input, d));
  }
  if (input.hosts.length > 1) {
    for (const host of input.hosts)
      error(
        host,
        `this runbook restores ONE master as its own cluster, but the step has ${input.hosts.length} hosts (${input.hosts.join(', ')}): restore a multi-master control plane with ${HA_RUNBOOK}, or target one host (-t <host>)`,
      );
    return { findings, initialCluster: facts.restore.initialCluster, leftOut: [] };
  }
  const host = input.hosts[0]!;
  const self = facts.rows.find((r) => r.host === host);
  const others = facts.rows.filter((r) => r !== self && (r.live || r.snapshot || r.listedBy.some((l) => l.host === host)));
  const history = parseInitialCluster(self?.own?.initialCluster ?? '');
  const counts = [
    facts.counts.live !== undefined
      ? `live: ${facts.counts.live} (${facts.rows
          .filter((r) => r.live)
          .map((r) => r.name || '(unstarted)')
          .join(', ')})`
      : `live: ${facts.sources.live}`,
    facts.counts.snapshot !== undefined
      ? `in the snapshot: ${facts.counts.snapshot} (${facts.rows
          .filter((r) => r.snapshot)
          .map((r) => r.name || '(unstarted)')
          .join(', ')})`
      : 'snapshot not read',
    `${host}'s manifest --initial-cluster: ${history.length}`,
  ].join('; ');
  const members = Math.max(facts.counts.live ?? 0, facts.counts.snapshot ?? 0, history.length, others.length + 1);
  if (members <= 1) {
    findings.push({ host, finding: { level: 'ok', message: `one etcd member (${counts}): ${host} is the whole cluster` } });
    return { findings, initialCluster: facts.restore.initialCluster, leftOut: [] };
  }
  if (!input.standalone) {
    error(
      host,
      `the etcd cluster has more than one member (${counts}): restoring ${host} alone would split the brain (the other members go on as the old cluster) or give an etcd that never reaches quorum. ` +
        `Restore every master with ${HA_RUNBOOK} (an inventory of all of them), or, to make ${host} a new 1-member cluster on purpose (the others lost), pass -p standalone=true`,
    );
    return { findings, initialCluster: facts.restore.initialCluster, leftOut: others };
  }
  const liveOthers = others.filter((r) => r.live);
  if (facts.leader && liveOthers.length) {
    error(
      host,
      `standalone: the live cluster still has quorum (leader ${facts.leader}, ${counts}): its other members run (${liveOthers.map(label).join(', ')}) and would go on as the old cluster beside the restored one. Stop etcd on them first (move their etcd.yaml out of the manifests folder), or restore every master with ${HA_RUNBOOK}`,
    );
  }
  findings.push({
    host,
    finding: {
      level: 'warn',
      message:
        `standalone: ${host} is restored as a NEW 1-member cluster (--initial-cluster ${facts.restore.initialCluster}); the other member(s) ${others.map(label).join(', ')} are not part of it (${counts}). ` +
        `They must not start again as the old cluster: ${rejoinAdvice(others, host)}`,
    },
  });
  return { findings, initialCluster: facts.restore.initialCluster, leftOut: others };
}
