// etcd.health: after a restore, is etcd really back? Every endpoint healthy (a
// linearizable read needs quorum), one cluster id, exactly one leader, the expected
// member count; per-resource key counts under /registry, compared with the snapshot's
// own keys (read straight from the snapshot file, no etcd started for it). Retries until
// healthy or the timeout: a restarted member takes seconds to elect a leader.
// With `cluster: hosts` the step's hosts are the cluster (multi-master): every host's
// client URL (the inventory's, else its manifest's --advertise-client-urls) is gathered
// first, and each host checks ALL of them, so "one cluster id, one leader, every member"
// is judged over the whole cluster, from every master's own credentials.
// With `restoredCluster` (after a restore) it also checks that the restore took
// (verify-restored.ts): the predicted new cluster id on every endpoint, exactly the
// restored members, the revision at least the snapshot's (plus the bump), and the old
// data dir still kept (keptAs) beside the restored one (dataDir).

import { z } from 'zod';
import type { ActionContext, ActionDefinition, Finding, SharedPlan } from '../../core/action.js';
import { readOwnMember, type OwnMember } from './own-member.js';
import { describeRestored, judgeRestored, planExpectation, type RestoredExpectation } from './verify-restored.js';
import { DrbookError } from '../../core/errors.js';
import { loadEtcdCredentials, type EtcdCredentialPlan } from '../../etcd/client.js';
import { booleanField, durationField, formatDuration, listField, optionalText } from '../fields.js';
import { checkClusterHealth, describeEndpoints, hex, type ClusterHealth } from '../../etcd/health.js';
import { pollUntil } from '../poll.js';
import { DEFAULT_PREFIX, VOLATILE_RESOURCES, compareRegistryCounts, formatCounts, formatDifferences, type RegistryCounts } from '../../etcd/registry-counts.js';
import { planCredentials } from './credentials.js';
import { snapshotCounts } from './snapshot-counts.js';

const schema = z.strictObject({
  endpoints: listField().optional(),
  caFile: z.string().min(1).optional(),
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  manifest: z.string().min(1).default('/etc/kubernetes/manifests/etcd.yaml'),
  /** endpoints: the endpoints given (or this host's own); hosts: every host of the step, each checking all (default members: the host count). */
  cluster: z.enum(['endpoints', 'hosts']).default('endpoints'),
  expectedMembers: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  /** Every endpoint at the same revision (after a multi-master restore, before anything writes). */
  sameRevision: booleanField(false),
  /** A snapshot on the host: its /registry keys per resource are compared with the live ones. */
  compareSnapshot: z.string().min(1).optional(),
  /** no-loss (default): fail when a resource has fewer keys than the snapshot; exact: any difference fails. */
  compareMode: z.enum(['no-loss', 'exact']).default('no-loss'),
  /** Resources left out of the comparison (their counts change by themselves). */
  compareIgnore: listField().default(VOLATILE_RESOURCES),
  prefix: z.string().min(1).default(DEFAULT_PREFIX),
  /** After a restore: the cluster it created (hosts: every host's own member; self: this host's alone), checked by its ids. */
  restoredCluster: z.enum(['hosts', 'self']).optional(),
  /** The restore's token (default drbook-<run id>, as etcd.restore's). */
  initialClusterToken: optionalText(),
  bumpRevision: z.enum(['auto', 'yes', 'no']).default('auto'),
  bumpRevisionBy: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]).default(1_000_000_000),
  etcdctl: optionalText(),
  etcdutl: optionalText(),
  /** The restored data dir etcd runs on (its member/snap/db must be there). */
  dataDir: optionalText(),
  /** Where the old data dir was kept: it must still be there. */
  keptAs: optionalText(),
  timeout: durationField('60s'),
  interval: durationField('2s'),
});

type Args = z.infer<typeof schema>;

/** What every host checks with `cluster: hosts`: all the hosts' client URLs. */
interface AcrossHosts {
  endpoints: string[];
  hosts: number;
  /** name=peer,... of every host's own member (the restored cluster). */
  initialCluster?: string;
}

async function countSnapshot(ctx: ActionContext, args: Args, findings: Finding[]): Promise<{ counts: RegistryCounts; revision: number } | null> {
  if (!args.compareSnapshot) return null;
  const info = await ctx.transport.stat(args.compareSnapshot);
  if (!info) {
    findings.push({ level: ctx.run.dryRun ? 'warn' : 'error', message: `compareSnapshot ${args.compareSnapshot} does not exist on ${ctx.host.name}` });
    return null;
  }
  try {
    const { counts, revision } = await snapshotCounts(ctx, args.compareSnapshot, args.prefix);
    findings.push({ level: 'info', message: `snapshot ${args.compareSnapshot} at revision ${revision}: ${counts.total} keys under ${args.prefix} (${formatCounts(counts)})` });
    return { counts, revision };
  } catch (error) {
    findings.push({ level: 'error', message: `compareSnapshot ${args.compareSnapshot}: ${(error as Error).message}` });
    return null;
  }
}

async function waitHealthy(ctx: ActionContext, args: Args, plan: EtcdCredentialPlan, expected: RegistryCounts | null, restored?: RestoredExpectation): Promise<void> {
  const credentials = await loadEtcdCredentials(ctx.transport, plan);
  let last: ClusterHealth | undefined;
  const outcome = await pollUntil({ timeoutMs: args.timeout, intervalMs: args.interval, signal: ctx.signal }, async () => {
    last = await checkClusterHealth(credentials, { expectedMembers: args.expectedMembers, sameRevision: args.sameRevision, countPrefix: args.prefix });
    if (last.problems.length === 0) return { done: true, value: last };
    ctx.log(last.problems.join('; '));
    return { done: false, reason: last.problems.join('; ') };
  });
  if (!outcome.ok) {
    throw new DrbookError('timeout', `etcd not healthy after ${formatDuration(args.timeout)}: ${outcome.reason}`, { host: ctx.host.name });
  }
  const health = outcome.value;
  for (const line of describeEndpoints(health)) ctx.log(line);
  ctx.log(`cluster ${hex(health.clusterId)}: ${health.members.length} member(s) (${health.members.map((m) => m.name).join(', ')}), leader ${hex(health.leader)}`);
  if (restored) {
    const problems = judgeRestored(health, restored);
    if (problems.length) throw new DrbookError('step', `etcd is healthy but it is not the restored cluster: ${problems.join('; ')}`, { host: ctx.host.name });
    await checkDirs(ctx, args);
    ctx.log(describeRestored(health, restored));
  }
  const counts = health.counts!;
  ctx.log(`${counts.total} keys under ${args.prefix}: ${formatCounts(counts)}`);
  if (expected) {
    const differences = compareRegistryCounts(expected, counts, { mode: args.compareMode, ignore: args.compareIgnore });
    if (differences.length) {
      throw new DrbookError('step', `etcd is healthy but its keys differ from the snapshot ${args.compareSnapshot} (${args.compareMode}): ${formatDifferences(differences)}`, { host: ctx.host.name });
    }
    const extra = compareRegistryCounts(expected, counts, { mode: 'exact', ignore: args.compareIgnore });
    ctx.log(extra.length ? `no key lost; new since the snapshot: ${formatDifferences(extra)}` : `key counts match the snapshot ${args.compareSnapshot}`);
  }
}

/** The restored dir is the one etcd runs on, and the old one is still kept. */
async function checkDirs(ctx: ActionContext, args: Args): Promise<void> {
  if (args.dataDir) {
    const db = await ctx.transport.stat(`${args.dataDir}/member/snap/db`);
    if (db?.type !== 'file') throw new DrbookError('step', `the restored data dir ${args.dataDir} has no member/snap/db`, { host: ctx.host.name });
  }
  if (args.keptAs) {
    const kept = await ctx.transport.stat(args.keptAs);
    if (kept?.type !== 'dir') throw new DrbookError('step', `the old data dir should be kept as ${args.keptAs}, but it is ${kept ? `a ${kept.type}` : 'not there'}`, { host: ctx.host.name });
    ctx.log(`the old data dir is kept as ${args.keptAs}`);
  }
}

const clientUrlOf = (own: OwnMember, given?: string[]) => (given?.[0] ?? own.member.own?.clientUrls[0])?.trim();
const peersOf = (own: OwnMember) => (own.member.own ? own.member.own.peerUrls.map((u) => `${own.member.own!.name}=${u}`) : []);

export const healthAction: ActionDefinition<Args> = {
  name: 'etcd.health',
  summary: 'Wait until every etcd endpoint is healthy with one cluster id, one leader and the expected members; report /registry key counts (compared with a snapshot).',
  schema,
  canSimulate: true,
  // A resumed run runs it again: "done" rests on probes made after the last change.
  verifiesOutcome: true,
  async planAcrossHosts(hosts): Promise<SharedPlan> {
    if (hosts[0]?.args.cluster !== 'hosts') return { findings: [] };
    const findings: SharedPlan['findings'] = [];
    const endpoints: string[] = [];
    const owns = await Promise.all(hosts.map(({ ctx, args }) => readOwnMember(ctx, { manifest: args.manifest, overrides: { clientUrl: args.endpoints?.join(',') } })));
    owns.forEach((own, i) => {
      const url = clientUrlOf(own, hosts[i]!.args.endpoints);
      if (!url)
        findings.push({
          host: own.host,
          finding: {
            level: 'error',
            message: `${own.host}: no etcd client URL: the inventory gives none (etcdEndpoint) and ${own.problem ?? `${hosts[i]!.args.manifest} has no --advertise-client-urls`}`,
          },
        });
      else endpoints.push(url);
    });
    const initialCluster = hosts[0]!.args.restoredCluster ? owns.flatMap(peersOf).join(',') : undefined;
    endpoints.sort();
    return { value: { endpoints, hosts: hosts.length, ...(initialCluster ? { initialCluster } : {}) } satisfies AcrossHosts, findings };
  },
  async plan(ctx, given, shared) {
    const across = given.cluster === 'hosts' ? (shared as AcrossHosts | undefined) : undefined;
    const args: Args = across ? { ...given, endpoints: across.endpoints, expectedMembers: given.expectedMembers ?? across.hosts } : given;
    const findings: Finding[] = [];
    const plan = await planCredentials(ctx, args, findings);
    const snapshot = await countSnapshot(ctx, args, findings);
    const expected = snapshot?.counts ?? null;
    let restored: RestoredExpectation | undefined;
    if (args.restoredCluster) {
      const initialCluster = args.restoredCluster === 'hosts' ? across?.initialCluster : peersOf(await readOwnMember(ctx, { manifest: args.manifest, overrides: {} })).join(',');
      if (!initialCluster) findings.push({ level: 'error', message: `restoredCluster: ${args.restoredCluster}, but the restored members cannot be read from ${args.manifest}` });
      else restored = await planExpectation(ctx, args, initialCluster, snapshot?.revision, findings);
    }
    const what = [
      'every endpoint healthy, one cluster id, one leader',
      args.expectedMembers !== undefined ? `${args.expectedMembers} member(s)` : null,
      restored ? `the restored cluster ${restored.predicted.clusterId}${restored.minRevision !== undefined ? ` at revision >= ${restored.minRevision}` : ''}` : null,
      expected ? `no ${args.compareMode === 'exact' ? 'difference' : 'loss'} of keys against ${args.compareSnapshot}` : null,
    ].filter(Boolean);
    return {
      findings,
      simulated: true,
      changes: [
        {
          description: `check etcd at ${plan.endpoints.join(',')}: ${what.join(', ')} (timeout ${formatDuration(args.timeout)})`,
          readOnly: true,
          timeoutMs: args.timeout + 60_000,
          apply: (applyCtx) => waitHealthy(applyCtx, args, plan, expected, restored),
        },
      ],
    };
  },
};
