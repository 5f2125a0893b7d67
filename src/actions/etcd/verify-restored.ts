// "Did the restore take?" beyond key counts: the cluster that answers must be the one the
// restore created. Member and cluster ids derive from the restore's --initial-cluster
// and --initial-cluster-token (member-id.ts), so drbook predicts them before the run and
// checks after it: every endpoint answers for the predicted (new) cluster id, the member
// list is exactly the predicted members, every member is at least at the snapshot's
// revision (plus the bump, when the restore applied one), the old data dir is still kept
// beside the restored one. An etcd still serving its old data (a wrong dataDir, a swap
// that did not happen) answers with the old cluster id and fails at once, not after a poll.
// judgeRestored is pure; planExpectation probes read-only (plan time).

import type { ActionContext, Finding } from '../../core/action.js';
import { errorMessage } from '../../core/errors.js';
import type { ClusterHealth } from '../../etcd/health.js';
import { hexId, predictRestoredCluster, type PredictedCluster } from '../../etcd/member-id.js';
import { etcdToolFact } from './facts.js';

export interface RestoredExpectation {
  predicted: PredictedCluster;
  initialCluster: string;
  /** The snapshot's revision plus the bump, when known. */
  minRevision?: number;
  /** "the snapshot's revision 42 + bump 1000000000" */
  revisionWhy?: string;
}

export function judgeRestored(health: ClusterHealth, expected: RestoredExpectation): string[] {
  const problems: string[] = [];
  const { predicted } = expected;
  const how = `predicted from --initial-cluster ${expected.initialCluster} and token ${predicted.token}`;
  for (const e of health.endpoints.filter((x) => x.ok)) {
    const id = e.clusterId ? hexId(e.clusterId) : '?';
    if (id !== predicted.clusterId) {
      problems.push(
        `${e.endpoint} answers for cluster ${id}, not the restored cluster ${predicted.clusterId} (${how}): this etcd does not run on the restored data (its old data dir? a dataDir that is not the one it runs with?)`,
      );
    }
    if (expected.minRevision !== undefined && (e.revision ?? 0) < expected.minRevision) {
      problems.push(`${e.endpoint} is at revision ${e.revision}, below ${expected.minRevision} (${expected.revisionWhy})`);
    }
  }
  const live = new Map(health.members.map((m) => [hexId(m.ID), m.name]));
  const missing = predicted.members.filter((m) => !live.has(m.id));
  const extra = [...live].filter(([id]) => !predicted.members.some((m) => m.id === id));
  if (missing.length) problems.push(`the restored members ${missing.map((m) => `${m.name} (${m.id})`).join(', ')} are not in the member list (${how})`);
  if (extra.length) problems.push(`the member list has members the restore did not create: ${extra.map(([id, name]) => `${name || '(unstarted)'} (${id})`).join(', ')}`);
  for (const m of predicted.members) {
    const name = live.get(m.id);
    if (name !== undefined && name !== m.name) problems.push(`member ${m.id} runs as ${name || '(unstarted)'}, restored as ${m.name}`);
  }
  return problems;
}

export function describeRestored(health: ClusterHealth, expected: RestoredExpectation): string {
  const revisions = health.endpoints.filter((e) => e.ok).map((e) => e.revision);
  return (
    `the restored cluster runs: cluster id ${expected.predicted.clusterId} on every endpoint (new, as predicted), members ${expected.predicted.members.map((m) => `${m.name} ${m.id}`).join(', ')}` +
    `${expected.minRevision !== undefined ? `, revision ${[...new Set(revisions)].join('/')} >= ${expected.minRevision} (${expected.revisionWhy})` : ''}`
  );
}

export interface ExpectationArgs {
  initialClusterToken?: string;
  bumpRevision: 'auto' | 'yes' | 'no';
  bumpRevisionBy: number;
  etcdctl?: string;
  etcdutl?: string;
}

/** The expectation from the restored members (name=peer,...), the token and the snapshot's revision (read-only probes). */
export async function planExpectation(
  ctx: ActionContext,
  args: ExpectationArgs,
  initialCluster: string,
  snapshotRevision: number | undefined,
  findings: Finding[],
): Promise<RestoredExpectation | undefined> {
  const token = args.initialClusterToken ?? `drbook-${ctx.run.id}`;
  let predicted: PredictedCluster;
  try {
    predicted = predictRestoredCluster(initialCluster, token);
  } catch (error) {
    findings.push({ level: 'error', message: `cannot predict the restored cluster: ${errorMessage(error)}` });
    return undefined;
  }
  let bump = 0;
  if (args.bumpRevision === 'yes') bump = args.bumpRevisionBy;
  else if (args.bumpRevision === 'auto') {
    const tool = (await ctx.facts.get(etcdToolFact, { etcdctl: args.etcdctl, etcdutl: args.etcdutl })).tool;
    if (tool?.flags.bumpRevision && tool.flags.markCompacted) bump = args.bumpRevisionBy;
  }
  const minRevision = snapshotRevision === undefined ? undefined : snapshotRevision + bump;
  const revisionWhy = snapshotRevision === undefined ? undefined : `the snapshot's revision ${snapshotRevision}${bump ? ` + the bump ${bump}` : ''}`;
  findings.push({
    level: 'info',
    message: `the restored cluster must be ${predicted.clusterId} (${predicted.members.map((m) => `${m.name} ${m.id}`).join(', ')}; from --initial-cluster ${initialCluster} and token ${token})${minRevision !== undefined ? `, at revision >= ${minRevision} (${revisionWhy})` : ''}`,
  });
  return { predicted, initialCluster, minRevision, revisionWhy };
}
