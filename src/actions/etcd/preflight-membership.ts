// The membership part of etcd.preflight, across the step's hosts: each host's own member
// (own-member.ts), the live cluster's member list when any member answers (asked through
// the first host that has facts, at every host's own client URL), the snapshot's own
// member records (read page by page on one host that holds it), combined
// (membership-facts.ts) and judged (membership-decision.ts). Also per host: the layout
// the restore steps can act on, dataDir = the dir etcd runs with, and the versions.
// Read-only: runs in dry-run.

import type { ActionContext, Finding, SharedPlan } from '../../core/action.js';
import { errorMessage } from '../../core/errors.js';
import { probeLiveMembershipVia, type LiveMembership } from '../../etcd/live-members.js';
import { combineMembership, type MembershipFacts } from '../../etcd/membership-facts.js';
import { decideMembership, type MembershipDecision, type RestoreScope } from '../../etcd/membership-decision.js';
import { formatMembership } from '../../etcd/membership-format.js';
import type { EtcdMemberFacts } from '../../etcd/member-facts.js';
import { readSnapshotMembership, type SnapshotMembership } from '../../etcd/snapshot-members.js';
import type { EtcdTool } from '../../etcd/tool.js';
import { judgeRestoreVersions } from '../../etcd/version-skew.js';
import { checkDataDir, type OwnMember } from './own-member.js';

const NOT_FOR_SELF = new Set(['live-not-covered', 'snapshot-not-covered', 'history-not-covered', 'history-only']);

export interface MembershipHost {
  ctx: ActionContext;
  own: OwnMember;
  tool: EtcdTool | null;
  /** The runbook's dataDir for this host (undefined: not given). */
  dataDir?: string;
  /** The manifest the runbook moves (for messages). */
  manifest: string;
  /** Whether this host holds a readable snapshot file at `snapshot`. */
  hasSnapshot: boolean;
}

export interface MembershipOptions {
  scope: RestoreScope;
  snapshot: string;
  standalone: boolean;
  drop: string[];
  /** Ask the live cluster (default true). */
  live: boolean;
  liveTimeoutMs?: number;
}

export interface MembershipOutcome {
  facts: MembershipFacts;
  decision: MembershipDecision;
  findings: SharedPlan['findings'];
}

/**
 * What the restore steps of these runbooks can act on: a static pod in the manifests
 * folder they move (kubeadm, minikube, a plain static pod; discovery reads the runbook's
 * manifest first, so a static pod found is that one or RKE2's). RKE2 and systemd-run etcd
 * are read (the plan shows their facts) but refused with the reason.
 */
export function judgeLayout(host: string, facts: EtcdMemberFacts, manifest: string): Finding | null {
  if (facts.layout === 'systemd') {
    return {
      level: 'error',
      message: `${host}: unsupported layout: etcd is configured by ${facts.configuredBy} (${facts.files.join(', ')}); this runbook restores kubeadm-style static pods (it stops etcd by moving ${manifest} out of its folder): stop the etcd service, restore with etcdutl into a new dir, point the unit's data dir at it, start it`,
    };
  }
  if (facts.layout === 'rke2') {
    return {
      level: 'error',
      message: `${host}: unsupported layout: etcd is configured by ${facts.configuredBy}; RKE2 rewrites its etcd manifest and config file at every rke2-server start, so moving them does not stop or restore it: restore RKE2 with \`rke2 server --cluster-reset --cluster-reset-restore-path=<snapshot>\``,
    };
  }
  return null;
}

async function askLive(hosts: MembershipHost[], timeoutMs: number | undefined): Promise<LiveMembership | null> {
  const withFacts = hosts.filter((h) => h.own.member.own);
  const via = hosts.find((h) => h.own.facts);
  if (!via || withFacts.length === 0) return null;
  const endpoints = [...new Set(withFacts.map((h) => h.own.member.own!.clientUrls[0]).filter((u): u is string => Boolean(u)))];
  const client = via.own.facts!.client;
  try {
    return await probeLiveMembershipVia(
      via.ctx.transport,
      { endpoints, caFile: client?.caFile, certFile: client?.certFile, keyFile: client?.keyFile },
      { trustedCaFile: via.own.facts!.tls.trustedCaFile },
      { timeoutMs },
    );
  } catch (error) {
    return { answered: false, endpoints: [], members: [], clusterIds: [], noLeader: false, problem: `the live cluster was not asked: ${errorMessage(error)}`, elapsedMs: 0 };
  }
}

async function readSnapshotMembers(hosts: MembershipHost[], path: string): Promise<{ membership: SnapshotMembership | null; problem?: string; host?: string }> {
  const holder = hosts.find((h) => h.hasSnapshot);
  if (!holder) return { membership: null, problem: `no host holds ${path} yet: the snapshot's members were not read` };
  try {
    return { membership: await readSnapshotMembership(holder.ctx.transport, path), host: holder.ctx.host.name };
  } catch (error) {
    return { membership: null, problem: `the members recorded in ${path} cannot be read on ${holder.ctx.host.name}: ${errorMessage(error)}` };
  }
}

export async function judgeMembership(hosts: MembershipHost[], options: MembershipOptions): Promise<MembershipOutcome> {
  const findings: SharedPlan['findings'] = [];
  const add = (host: string, finding: Finding) => findings.push({ host, finding });
  const names = hosts.map((h) => h.ctx.host.name);

  const [live, snapshot] = await Promise.all([options.live ? askLive(hosts, options.liveTimeoutMs) : Promise.resolve(null), readSnapshotMembers(hosts, options.snapshot)]);
  if (snapshot.problem) add(names[0]!, { level: 'warn', message: snapshot.problem });
  for (const problem of snapshot.membership?.problems ?? []) add(names[0]!, { level: 'warn', message: `snapshot ${options.snapshot}: ${problem}` });

  for (const h of hosts) {
    const host = h.ctx.host.name;
    for (const f of h.own.findings) add(host, f);
    const facts = h.own.facts;
    if (!facts) continue;
    add(host, {
      level: 'info',
      message: `${host}: etcd member ${facts.name} (peer ${facts.peerUrls.join(',')}, clients ${facts.clientUrls.join(',')}), configured by ${facts.configuredBy}; runs as uid ${facts.owner.uid ?? '?'} (${facts.owner.from}); quota ${facts.quota.bytes ?? '?'} bytes (${facts.quota.from})`,
    });
    const layout = judgeLayout(host, facts, h.manifest);
    if (layout) add(host, layout);
    add(host, checkDataDir(host, facts, h.dataDir));
    if (h.tool) {
      for (const line of judgeRestoreVersions({ tool: h.tool, running: facts.version, snapshotClusterVersion: snapshot.membership?.clusterVersion }))
        add(host, { level: line.level, message: `${host}: ${line.message}` });
    }
  }

  const facts = combineMembership({ hosts: hosts.map((h) => h.own.member), live, snapshot: snapshot.membership, drop: options.drop });
  const decision = decideMembership({ facts, scope: options.scope, hosts: names, standalone: options.standalone });
  // A single-master restore judges by member counts: "not covered by the inventory" is the HA runbook's notion.
  const shown = options.scope === 'self' ? { ...facts, disagreements: facts.disagreements.filter((d) => !NOT_FOR_SELF.has(d.code)) } : facts;
  add(names[0]!, {
    level: 'info',
    message: formatMembership(shown)
      .map((line, i) => (i === 0 ? line : `    ${line}`))
      .join('\n'),
  });
  findings.push(...decision.findings);
  return { facts, decision, findings };
}
