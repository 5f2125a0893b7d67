// etcd.restore: restore a snapshot into a NEW data directory with the host's own tool
// (etcdutl from 3.5, etcdctl with ETCDCTL_API=3 on 3.4), as this host's member: its
// name and peer URL come from its own etcd manifest unless given, so the member is not
// registered as http://localhost:2380, and every master gets the same --initial-cluster
// and the same fresh token (from the run id) so the restored members accept each other.
// With `cluster: hosts` the step's hosts ARE the cluster: every host of the step is
// probed first (planAcrossHosts), each host's own member read from its own configuration
// (own-member.ts: kubeadm/minikube manifest, also in the stash, with the inventory's
// values laid over) and every host restores as its own member with the --initial-cluster
// of all of them, so no host can restore a different cluster (the preflight decided, from
// the live cluster and the snapshot, that these hosts are the members to restore). With
// `cluster: self` (single master) the host restores as a 1-member cluster of its own
// member: the manifest's --initial-cluster is history (a joined master lists others).
// The old data dir is not touched here (dir.swap does that). Undo: remove the new dir,
// which the plan proved absent or empty, and the run's staging dir; also after a failed,
// half-written restore. A data dir named with this run's id is this run's own: found
// complete on a resume it is "already restored", found incomplete it is redone.

import { posix } from 'node:path';
import { z } from 'zod';
import type { ActionContext, ActionDefinition, Finding, SharedPlan } from '../../core/action.js';
import { InputError } from '../../core/errors.js';
import { ShellCommand, sh } from '../../shell/command.js';
import { booleanField } from '../fields.js';
import { parseInitialCluster, type FoundManifest } from '../../etcd/manifest.js';
import { checkSnapshotFile } from '../../etcd/snapshot-file.js';
import { describeTool, toolCommand, type EtcdTool } from '../../etcd/tool.js';
import { etcdManifestFact, etcdToolFact } from './facts.js';
import { combineMembership } from '../../etcd/membership-facts.js';
import { readOwnMember, type OwnMember } from './own-member.js';
import { WAL_BYTES, freeBytes } from './disk.js';
import { optionalText } from '../fields.js';
import { pathSubject, restoredDirCheck } from '../checks.js';
import { judgeTarget } from './restore-target.js';
import { isMountPoint } from '../core/mount-point.js';

const schema = z.strictObject({
  snapshot: z.string().min(1),
  /** The NEW data dir (absent or empty); dir.swap puts it in place afterwards. */
  dataDir: z.string().min(1),
  /** (H9) When this path (the live data dir) is a mount point, restore into dataDirOnMount instead: a dir on that mount, so dir.swap can rename within it. */
  mountPoint: optionalText(),
  dataDirOnMount: optionalText(),
  manifest: z.string().min(1).default('/etc/kubernetes/manifests/etcd.yaml'),
  /** Where static-pods.stop moved the manifest: looked at when it is not in place. */
  stashDir: optionalText(),
  /** Empty (a template rendering to nothing) means "not given": read from the manifest. */
  name: optionalText(),
  initialAdvertisePeerUrls: optionalText(),
  initialCluster: optionalText(),
  initialClusterToken: optionalText(),
  /** self: this host's own member alone; hosts: the step's hosts are the members (multi-master); manifest: the manifest's --initial-cluster (history: only when given on purpose). */
  cluster: z.enum(['manifest', 'hosts', 'self']).default('manifest'),
  skipHashCheck: booleanField(false),
  bumpRevision: z.enum(['auto', 'yes', 'no']).default('auto'),
  /** etcd's docs suggest 1e9: larger than any revision a cluster reaches between snapshots. */
  bumpRevisionBy: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]).default(1_000_000_000),
  /** user or user:group; `chown -R` of the new dir after the restore (etcd running as its own user). */
  owner: z
    .string()
    .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$/, 'expected user or user:group')
    .optional(),
  etcdctl: z.string().min(1).optional(),
  etcdutl: z.string().min(1).optional(),
});

type Args = z.infer<typeof schema>;

type Member = Record<'name' | 'initialAdvertisePeerUrls' | 'initialCluster' | 'initialClusterToken', { value?: string; from: string }>;

/** The members every host of the step restores with (cluster: hosts), or this host's own alone (cluster: self). */
export interface RestoreCluster {
  members: OwnMember[];
  initialCluster: string;
}

function clusterOf(members: OwnMember[]): RestoreCluster {
  const initialCluster = members.flatMap((m) => (m.member.own ? m.member.own.peerUrls.map((u) => `${m.member.own!.name}=${u}`) : [])).join(',');
  return { members, initialCluster };
}

function memberFromCluster(ctx: ActionContext, args: Args, cluster: RestoreCluster, findings: Finding[]): Member {
  const own = cluster.members.find((m) => m.host === ctx.host.name);
  const member = own?.member.own;
  if (args.initialCluster)
    findings.push({
      level: 'error',
      message: `initialCluster is given, but with cluster: ${args.cluster} it is built from ${args.cluster === 'self' ? "this host's own member" : "the step's hosts"} (${cluster.initialCluster}): give one or the other`,
    });
  if (own && !member) findings.push({ level: 'error', message: `${ctx.host.name}: no etcd member to restore: ${own.problem ?? 'not read'}` });
  for (const f of own?.findings ?? []) if (f.level === 'error') findings.push(f);
  const from = (field: 'name' | 'peerUrl') => (own?.overrides[field] ? 'given' : own?.facts ? `${own.facts.origin[field === 'name' ? 'name' : 'peerUrls']}` : 'missing');
  return {
    name: { value: member?.name, from: from('name') },
    initialAdvertisePeerUrls: { value: member?.peerUrls.join(',') || undefined, from: from('peerUrl') },
    initialCluster: {
      value: cluster.initialCluster || undefined,
      from:
        args.cluster === 'self'
          ? `this member alone (a new 1-member cluster; the manifest's --initial-cluster is history)`
          : `every host of the step: ${cluster.members.map((m) => m.host).join(', ')}`,
    },
    initialClusterToken: args.initialClusterToken
      ? { value: args.initialClusterToken, from: 'given' }
      : { value: `drbook-${ctx.run.id}`, from: 'new for this run, the same on every host: the restored cluster is a new logical cluster' },
  };
}

async function resolveMember(ctx: ActionContext, args: Args, findings: Finding[]): Promise<Member> {
  let found: FoundManifest | null = null;
  const needsManifest = !args.name || !args.initialAdvertisePeerUrls || !args.initialCluster;
  if (needsManifest) {
    found = await ctx.facts.get(etcdManifestFact, { path: args.manifest, stashDir: args.stashDir });
    if (!found) {
      const where = args.stashDir ? `${args.manifest} nor in ${args.stashDir}` : args.manifest;
      findings.push({ level: 'error', message: `etcd manifest not found (${where}) on ${ctx.host.name}: give name, initialAdvertisePeerUrls and initialCluster, or the manifest's path` });
    } else if (found.where === 'stash') {
      findings.push({ level: 'info', message: `reading the member from ${found.manifest.file} (in the stash)` });
    }
  }
  const fromManifest = (field: 'name' | 'initialAdvertisePeerUrls' | 'initialCluster') => {
    const value = args[field];
    if (value) return { value, from: 'given' };
    const fromFile = found?.manifest.values[field];
    return fromFile ? { value: fromFile, from: `manifest ${found!.manifest.file}` } : { value: undefined, from: 'missing' };
  };
  return {
    name: fromManifest('name'),
    initialAdvertisePeerUrls: fromManifest('initialAdvertisePeerUrls'),
    initialCluster: fromManifest('initialCluster'),
    initialClusterToken: args.initialClusterToken
      ? { value: args.initialClusterToken, from: 'given' }
      : { value: `drbook-${ctx.run.id}`, from: 'new for this run: the restored cluster is a new logical cluster' },
  };
}

function checkMember(member: Member, findings: Finding[], manifestMissing: boolean): void {
  for (const [field, { value, from }] of Object.entries(member)) {
    // Without a manifest, the error that says so already names every value to give.
    if (!value && !manifestMissing) findings.push({ level: 'error', message: `no ${field}: not given and not in the etcd manifest` });
    else if (value) findings.push({ level: 'info', message: `${field} = ${value} (${from})` });
  }
  const name = member.name.value;
  const peerUrls = member.initialAdvertisePeerUrls.value?.split(',').map((u) => u.trim()) ?? [];
  const cluster = member.initialCluster.value ? parseInitialCluster(member.initialCluster.value) : [];
  if (!name || !cluster.length) return;
  const own = cluster.filter((m) => m.name === name).map((m) => m.peerUrl);
  if (own.length === 0) {
    findings.push({ level: 'error', message: `initialCluster ${member.initialCluster.value} does not list this member (${name}): etcd would refuse to start` });
  } else if (peerUrls.some((url) => !own.includes(url))) {
    findings.push({ level: 'error', message: `initialCluster lists ${name} with ${own.join(',')} but its peer URL is ${peerUrls.join(',')}: the member IDs would not match` });
  }
  if (peerUrls.some((url) => /\/\/(localhost|127\.0\.0\.1)(:|\/|$)/.test(url)) && cluster.length > 1) {
    findings.push({ level: 'warn', message: `peer URL ${peerUrls.join(',')} is a loopback address in a ${cluster.length}-member cluster: the other members cannot reach it` });
  }
}

function restoreFlags(tool: EtcdTool, args: Args, findings: Finding[]): ShellCommand[] {
  const flags: ShellCommand[] = [];
  if (args.skipHashCheck) {
    if (tool.flags.skipHashCheck) flags.push(sh`--skip-hash-check`);
    else findings.push({ level: 'error', message: `${tool.name} ${tool.version} has no --skip-hash-check` });
  }
  const canBump = tool.flags.bumpRevision && tool.flags.markCompacted;
  if (args.bumpRevision === 'no') {
    findings.push({ level: 'info', message: 'revision bump disabled (bumpRevision: no): restart kube-controller-manager, kube-scheduler and the kubelets after the restore' });
  } else if (canBump) {
    flags.push(sh`--bump-revision ${String(args.bumpRevisionBy)} --mark-compacted`);
    findings.push({ level: 'info', message: `--bump-revision ${args.bumpRevisionBy} --mark-compacted: every watcher relists, so no controller keeps a cache newer than the restored data` });
  } else {
    const message =
      `${tool.name} ${tool.version} has no --bump-revision/--mark-compacted (etcdctl >= 3.4.27, etcdutl >= 3.5.10): watchers of controllers and kubelets ` +
      'may keep caches newer than the restored data, so kube-controller-manager, kube-scheduler and the kubelets must be restarted after the restore';
    findings.push({ level: args.bumpRevision === 'yes' ? 'error' : 'warn', message });
  }
  return flags;
}

export const restoreAction: ActionDefinition<Args> = {
  name: 'etcd.restore',
  summary: "Restore a snapshot into a new data dir with the host's etcd tool, as this host's member (name and peer URL from its manifest); undo removes the new dir.",
  schema,
  canSimulate: true,
  async planAcrossHosts(hosts): Promise<SharedPlan> {
    const scope = hosts[0]?.args.cluster;
    if (scope !== 'hosts' && scope !== 'self') return { findings: [] };
    const members = await Promise.all(
      hosts.map(({ ctx, args }) => readOwnMember(ctx, { manifest: args.manifest, stashDir: args.stashDir, overrides: { name: args.name, peerUrl: args.initialAdvertisePeerUrls } })),
    );
    if (scope === 'self') return { value: new Map(members.map((m) => [m.host, clusterOf([m])])), findings: [] };
    // Only what makes the cluster impossible is judged here: who the members are was the preflight's decision.
    const combined = combineMembership({ hosts: members.map((m) => m.member), live: null, snapshot: null });
    const findings: SharedPlan['findings'] = combined.disagreements
      .filter((d) => d.code === 'duplicate-name' || d.code === 'duplicate-peer-url')
      .flatMap((d) => d.hosts.map((host) => ({ host, finding: { level: 'error' as const, message: d.message } })));
    const cluster = clusterOf(members);
    const rows = members.map((m) => `    ${m.host}: ${m.member.own ? `${m.member.own.name} ${m.member.own.peerUrls.join(',')}` : `? (${m.problem ?? 'no member'})`}`);
    findings.push({ host: hosts[0]!.ctx.host.name, finding: { level: 'info', message: `every member restores with --initial-cluster ${cluster.initialCluster}:\n${rows.join('\n')}` } });
    return { value: new Map(members.map((m) => [m.host, cluster])), findings };
  },
  async plan(ctx, args, shared) {
    if (!posix.isAbsolute(args.dataDir)) throw new InputError([{ path: 'dataDir', message: `expected an absolute path on the host, got "${args.dataDir}"` }]);
    let dataDir = posix.normalize(args.dataDir).replace(/(.)\/$/, '$1');
    if (dataDir === '/') throw new InputError([{ path: 'dataDir', message: 'refusing / as a data dir' }]);
    const findings: Finding[] = [];
    if (args.mountPoint && args.dataDirOnMount && (await isMountPoint(ctx, args.mountPoint))) {
      dataDir = posix.normalize(args.dataDirOnMount).replace(/(.)\/$/, '$1');
      findings.push({ level: 'info', message: `${args.mountPoint} is a mount point: restoring into ${dataDir}, on that mount (dir.swap moves the contents)` });
    }

    const detection = await ctx.facts.get(etcdToolFact, { etcdctl: args.etcdctl, etcdutl: args.etcdutl });
    const tool = detection.tool;
    if (!tool) findings.push({ level: 'error', message: `cannot restore on ${ctx.host.name}: ${detection.problem}` });
    else
      findings.push({
        level: 'info',
        message: `restore tool: ${describeTool(tool)}; flags: --skip-hash-check ${yesNo(tool.flags.skipHashCheck)}, --bump-revision ${yesNo(tool.flags.bumpRevision)}, --mark-compacted ${yesNo(tool.flags.markCompacted)}`,
      });

    const snapshot = await checkSnapshotFile(ctx.transport, args.snapshot, { hash: false });
    if (snapshot.status === 'raw' && !args.skipHashCheck) findings.push({ level: 'error', message: snapshot.message });
    else if (snapshot.status === 'missing' && ctx.run.dryRun) findings.push({ level: 'warn', message: `${snapshot.message} (unless an earlier step puts it there)` });
    else if (!['unchecked', 'raw'].includes(snapshot.status)) findings.push({ level: 'error', message: snapshot.message });

    const target = await judgeTarget(ctx, dataDir, findings);
    const { staging, partial, removeEmptyFirst, removeOursFirst, alreadyRestored } = target;

    const before = findings.length;
    const across = args.cluster === 'manifest' ? undefined : (shared as Map<string, RestoreCluster> | undefined)?.get(ctx.host.name);
    if (args.cluster !== 'manifest' && !across)
      findings.push({ level: 'error', message: `cluster: ${args.cluster}, but the members were not read across the hosts (internal: planAcrossHosts did not run)` });
    const member = across ? memberFromCluster(ctx, args, across, findings) : await resolveMember(ctx, args, findings);
    checkMember(
      member,
      findings,
      findings.slice(before).some((f) => f.level === 'error'),
    );
    if (args.owner) {
      const user = args.owner.split(':')[0]!;
      const id = await ctx.probe(sh`id -u ${user}`);
      if (id.exitCode !== 0) findings.push({ level: 'error', message: `owner ${args.owner}: user ${user} does not exist on ${ctx.host.name}` });
    }
    const free = await freeBytes(ctx, posix.dirname(dataDir));
    if (free !== null && snapshot.size > 0 && free < snapshot.size + WAL_BYTES) {
      findings.push({
        level: free < snapshot.size ? 'error' : 'warn',
        message: `only ${free >> 20} MiB free under ${posix.dirname(dataDir)}; the restore needs about ${(snapshot.size >> 20) + 64} MiB (the db plus a 64 MiB WAL)`,
      });
    }

    if (!tool || alreadyRestored) return { findings, changes: [], simulated: true };
    const flags = restoreFlags(tool, args, findings);
    const m = (field: keyof Member) => member[field].value ?? '';
    const restore = toolCommand(
      tool,
      sh`snapshot restore ${args.snapshot} --name ${m('name')} --initial-cluster ${m('initialCluster')} --initial-advertise-peer-urls ${m('initialAdvertisePeerUrls')} --initial-cluster-token ${m('initialClusterToken')} --data-dir ${staging}${flags.length ? sh` ${ShellCommand.join(flags, ' ')}` : sh``}`,
    );
    const steps = [
      ...(partial ? [sh`rm -rf -- ${staging}`] : []),
      ...(removeOursFirst ? [sh`rm -rf -- ${dataDir}`] : []),
      restore,
      ...(args.owner ? [sh`chown -R ${args.owner} -- ${staging}`] : []),
      ...(removeEmptyFirst ? [sh`rmdir -- ${dataDir}`] : []),
      sh`mv -- ${staging} ${dataDir}`,
    ];
    const command = ShellCommand.join(steps);
    return {
      findings,
      simulated: true,
      changes: [
        {
          description: `restore ${args.snapshot} into ${dataDir} (written as ${posix.basename(staging)}, renamed when complete) as member ${m('name')} with ${tool.name} ${tool.version}${args.owner ? `, owned by ${args.owner}` : ''}`,
          command,
          undoOnFailure: true,
          // Applied = the staging dir or a restored data dir is there; reverted = neither (the plan proved the data dir absent or empty).
          check: restoredDirCheck(dataDir, staging),
          subjects: [pathSubject(dataDir), pathSubject(staging)],
          undo: { description: `remove the restored dir ${dataDir}`, command: sh`rm -rf -- ${dataDir} ${staging}` },
        },
      ],
    };
  },
};

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
