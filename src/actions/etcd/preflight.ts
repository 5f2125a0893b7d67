// etcd.preflight: everything a multi-master restore needs, checked on every master
// before anything changes, so that the run stops while the old cluster still runs:
// the host answers; its etcd restore tool (and version) is there; the snapshot is on
// the host, intact, and the SAME file (SHA-256) on every host (and the expected one,
// or the operator's file an earlier file.upload step put there, or the file of the
// host an earlier file.copy-from-host step copied it from); the filesystem of
// the data dir has room for the restore; the data dir is the one etcd runs with; the
// restore tool's version against the etcd that runs; and the membership, decided from
// facts (preflight-membership.ts): each host's own member, the live member list, the
// snapshot's own members; manifests' --initial-cluster are history. With `cluster:
// self` (the single-master runbook) more than one member is refused unless
// `standalone`; with `cluster: hosts` (HA) every member must be covered by a host unless
// `dropMembers` names it. Every host is probed before any is judged
// (planAcrossHosts): one bad host stops the step on all. Read-only: runs in dry-run.
// In a dry-run the earlier upload or copy has not happened: a host where the snapshot
// is missing is judged by the file that will land there (the operator's, or the source
// host's); in a run every host's own file is checked as usual.

import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { z } from 'zod';
import type { ActionContext, ActionDefinition, Finding, SharedPlan } from '../../core/action.js';
import { sh } from '../../shell/command.js';
import { sha256File } from '@drbook/system';
import { booleanField } from '../fields.js';
import { checkSnapshotFile, type SnapshotFileCheck } from '../../etcd/snapshot-file.js';
import { describeTool, snapshotStatus, type EtcdTool } from '../../etcd/tool.js';
import { etcdToolFact } from './facts.js';
import { freeBytes, mib, restoreNeedsBytes } from './disk.js';
import { listField, optionalText } from '../fields.js';
import type { MembershipDecision } from '../../etcd/membership-decision.js';
import type { MembershipFacts } from '../../etcd/membership-facts.js';
import { readOwnMember, type OwnMember } from './own-member.js';
import { judgeMembership } from './preflight-membership.js';

const schema = z
  .strictObject({
    /** The snapshot's path on every host. */
    snapshot: z.string().min(1),
    /** The file on the operator's machine an earlier file.upload step copies to `snapshot`: the hosts must hold exactly it. */
    source: optionalText(),
    /** The host (of this step) an earlier file.copy-from-host step copies `snapshot` from: the other hosts must hold exactly its file. */
    copiedFrom: optionalText(),
    expectedSha256: optionalText().pipe(
      z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits')
        .transform((v) => v.toLowerCase())
        .optional(),
    ),
    skipHashCheck: booleanField(false),
    manifest: z.string().min(1).default('/etc/kubernetes/manifests/etcd.yaml'),
    stashDir: optionalText(),
    /** The member, when the inventory gives it (empty: read from the host's etcd manifest). */
    name: optionalText(),
    peerUrl: optionalText(),
    clientUrl: optionalText(),
    /** The data dir the runbook swaps: must be the one etcd runs with. */
    dataDir: optionalText(),
    expectedMembers: z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number), z.literal('').transform(() => undefined)]).optional(),
    etcdctl: optionalText(),
    etcdutl: optionalText(),
    /** hosts: the step's hosts are the restored cluster (HA); self: this one host alone (the single-master runbook). */
    cluster: z.enum(['hosts', 'self']).default('hosts'),
    /** cluster: self only: restore this master as a NEW 1-member cluster although the cluster has more members. */
    standalone: booleanField(false),
    /** cluster: hosts only: members (names or peer URLs) no host covers, left out of the restored cluster on purpose. */
    dropMembers: listField().default([]),
    /** Ask the live cluster for its member list (false: decide from the snapshot and the hosts alone). */
    askLive: booleanField(true),
  })
  .superRefine((args, ctx) => {
    if (args.source && args.copiedFrom) {
      ctx.addIssue({
        code: 'custom',
        path: ['copiedFrom'],
        message: `the snapshot comes either from this machine (source ${args.source}) or from one host (copiedFrom ${args.copiedFrom}), not both`,
      });
    }
  });

type Args = z.infer<typeof schema>;

interface HostFacts {
  host: string;
  findings: Finding[];
  own: OwnMember;
  tool: EtcdTool | null;
  snapshot: SnapshotFileCheck;
  /** The SHA-256 this host has (or will have, in a dry-run, once the upload ran). */
  sha256?: string;
}

/** The file an earlier step puts on the hosts, by which a dry-run judges a host that has no snapshot yet. */
interface Incoming {
  sha256: string;
  size: number;
  /** "uploads ./etcd.db", "copies it from node1". */
  how: string;
}

export interface PreflightShared {
  membership: MembershipFacts;
  decision: MembershipDecision;
  sha256?: string;
}

interface ProbeOptions {
  /** What will land where the snapshot is missing (asked only then, in a dry-run). */
  incoming?: () => Promise<Incoming | null>;
  /** This host's snapshot check when it was started already (the copy source's, shared with the others). */
  snapshotCheck?: Promise<SnapshotFileCheck>;
}

async function probeHost(ctx: ActionContext, args: Args, options: ProbeOptions): Promise<HostFacts> {
  const host = ctx.host.name;
  const findings: Finding[] = [];
  const say = (level: Finding['level'], message: string) => findings.push({ level, message });

  const started = Date.now();
  const alive = await ctx.probe(sh`uname -n`, { timeoutMs: 30_000 });
  if (alive.exitCode !== 0) say('error', `${host} does not run commands: uname -n exited with ${alive.exitCode ?? alive.signal}: ${alive.stderr.trim()}`);
  else say('ok', `${host} reachable (${ctx.transport.kind}): it answers as ${alive.stdout.trim()} in ${Date.now() - started} ms`);

  // Independent probes at once: the connection's channel limit keeps them within bounds.
  const [detection, own, snapshot] = await Promise.all([
    ctx.facts.get(etcdToolFact, { etcdctl: args.etcdctl, etcdutl: args.etcdutl }),
    readOwnMember(ctx, { manifest: args.manifest, stashDir: args.stashDir, overrides: { name: args.name, peerUrl: args.peerUrl, clientUrl: args.clientUrl } }),
    options.snapshotCheck ?? checkSnapshotFile(ctx.transport, args.snapshot),
  ]);
  const tool = detection.tool;
  if (!tool) say('error', `${host}: cannot restore: ${detection.problem}`);
  else say('ok', `${host}: restore tool ${describeTool(tool)}`);

  const facts: HostFacts = { host, findings, own, tool, snapshot };
  let size = snapshot.size;
  const incoming = snapshot.status === 'missing' && ctx.run.dryRun ? await options.incoming?.() : null;
  if (incoming) {
    say('info', `${host}: ${args.snapshot} is not there yet: an earlier step ${incoming.how} (${incoming.size} bytes, sha256 ${incoming.sha256})`);
    facts.sha256 = incoming.sha256;
    size = incoming.size;
  } else if (snapshot.status === 'ok') {
    say('ok', `${host}: ${snapshot.message}`);
    facts.sha256 = snapshot.fileSha256;
  } else if (snapshot.status === 'raw' || snapshot.status === 'hash-mismatch') {
    say(args.skipHashCheck ? 'warn' : 'error', `${host}: ${snapshot.message}${args.skipHashCheck ? ' (skipHashCheck: restored without the integrity check)' : ''}`);
    facts.sha256 = snapshot.fileSha256;
  } else {
    say('error', `${host}: ${snapshot.message}`);
  }
  if (tool && snapshot.fileSha256) {
    try {
      const status = await snapshotStatus(ctx, tool, args.snapshot);
      say('info', `${host}: ${tool.name} reads the snapshot: revision ${status.revision}, ${status.totalKey} keys, ${status.totalSize} bytes`);
    } catch (error) {
      say('error', `${host}: the snapshot is not a readable etcd database: ${(error as Error).message}`);
    }
  }

  const dataDir = args.dataDir ?? own.facts?.hostDataDir;
  if (dataDir) {
    const parent = posix.dirname(dataDir);
    const [current, free] = await Promise.all([ctx.transport.stat(dataDir), freeBytes(ctx, parent)]);
    if (!current) say('error', `${host}: the data dir ${dataDir} does not exist: the swap keeps it as the old data (create it empty if the data is lost)`);
    else if (current.type !== 'dir') say('error', `${host}: the data dir ${dataDir} is a ${current.type}, not a folder`);
    if (free === null) say('warn', `${host}: cannot tell the free space under ${parent} (df failed)`);
    else if (size > 0) {
      const needed = restoreNeedsBytes(size);
      if (free < needed) say('error', `${host}: only ${mib(free)} free under ${parent}; the restore needs about ${mib(needed)} (the db, a 10 % margin and a 64 MiB WAL)`);
      else say('ok', `${host}: ${mib(free)} free under ${parent}, the restore needs about ${mib(needed)}`);
    }
  }
  return facts;
}

/** One line per SHA-256 with the hosts holding it. */
function describeShas(facts: HostFacts[]): string {
  const bySha = new Map<string, string[]>();
  for (const f of facts) if (f.sha256) bySha.set(f.sha256, [...(bySha.get(f.sha256) ?? []), f.host]);
  return [...bySha].map(([sha, hosts]) => `${hosts.join(', ')}: ${sha}`).join('; ');
}

/** The cross-host snapshot checks: the same snapshot everywhere (and the expected one), the same tool. */
function compareHosts(facts: HostFacts[], args: Args, local: { sha256: string } | null): { findings: SharedPlan['findings']; sha256?: string } {
  const findings: SharedPlan['findings'] = [];
  const add = (host: string, level: Finding['level'], message: string) => findings.push({ host, finding: { level, message } });

  // The copy source's own file is the reference of the others (its own checks judge it).
  const copied = args.copiedFrom ? facts.find((f) => f.host === args.copiedFrom)?.sha256 : undefined;
  const expected = args.expectedSha256 ?? local?.sha256 ?? copied;
  const why = args.expectedSha256 ? 'expectedSha256' : local ? `the operator's ${args.source}` : `the file of ${args.copiedFrom}, copied from there`;
  const hashed = facts.filter((f) => f.sha256);
  if (expected) {
    for (const f of hashed) {
      if (f.sha256 !== expected) add(f.host, 'error', `${f.host}: snapshot ${args.snapshot} has sha256 ${f.sha256}, but ${expected} is expected (${why}): refusing to restore another file`);
    }
  }
  const distinct = new Set(hashed.map((f) => f.sha256));
  if (distinct.size > 1) {
    // The hosts outside the largest group hold the odd file; with a tie, all are named.
    const groups = [...distinct].map((sha) => hashed.filter((f) => f.sha256 === sha));
    const largest = Math.max(...groups.map((g) => g.length));
    const odd = groups.filter((g) => g.length < largest).flat();
    for (const f of odd.length ? odd : hashed) {
      add(f.host, 'error', `snapshot ${args.snapshot} differs between the hosts (${describeShas(facts)}): every member must restore the same snapshot`);
    }
  } else if (hashed.length === facts.length && hashed.length > 0) {
    add(facts[0]!.host, 'ok', `snapshot ${args.snapshot} is identical on ${facts.map((f) => f.host).join(', ')} (sha256 ${hashed[0]!.sha256})`);
  }

  const versions = new Set(facts.filter((f) => f.tool).map((f) => `${f.tool!.name} ${f.tool!.version}`));
  if (versions.size > 1) {
    for (const f of facts) add(f.host, 'warn', `the hosts restore with different tools: ${facts.map((g) => `${g.host} ${g.tool ? `${g.tool.name} ${g.tool.version}` : 'none'}`).join(', ')}`);
  }

  return { findings, sha256: distinct.size === 1 ? [...distinct][0] : undefined };
}

async function readLocalSource(path: string | undefined): Promise<{ sha256: string; size: number } | null | string> {
  if (!path) return null;
  try {
    return { size: (await stat(path)).size, sha256: await sha256File(path) };
  } catch (error) {
    return `${path} cannot be read on this machine (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
}

export const preflightAction: ActionDefinition<Args> = {
  name: 'etcd.preflight',
  summary:
    "Before a multi-master restore changes anything: every host reachable, its restore tool, free disk, the same snapshot (SHA-256) everywhere, the dataDir etcd runs with, and the membership from facts (live member list, the snapshot's members, each host's own): split-brain refusals. Read-only.",
  schema,
  canSimulate: true,
  async planAcrossHosts(hosts) {
    const args = hosts[0]!.args;
    const local = await readLocalSource(args.source);
    if (typeof local === 'string') {
      return { findings: hosts.map(({ ctx }) => ({ host: ctx.host.name, finding: { level: 'error' as const, message: `source ${local}` } })) };
    }
    let copySource: { name: string; check: Promise<SnapshotFileCheck> } | undefined;
    if (args.copiedFrom) {
      const from = hosts.find(({ ctx }) => ctx.host.name === args.copiedFrom);
      const names = hosts.map(({ ctx }) => ctx.host.name);
      if (!from) {
        const message = `copiedFrom ${args.copiedFrom} is not one of this step's hosts (${names.join(', ')}): the snapshot is copied from one of them`;
        return { findings: names.map((host) => ({ host, finding: { level: 'error' as const, message } })) };
      }
      copySource = { name: args.copiedFrom, check: checkSnapshotFile(from.ctx.transport, from.args.snapshot) };
    }
    const incoming = async (): Promise<Incoming | null> => {
      if (local) return { ...local, how: `uploads ${args.source}` };
      if (!copySource) return null;
      const check = await copySource.check;
      return check.fileSha256 ? { sha256: check.fileSha256, size: check.size, how: `copies it from ${copySource.name}` } : null;
    };
    const facts = await Promise.all(hosts.map(({ ctx, args: hostArgs }) => probeHost(ctx, hostArgs, { incoming, snapshotCheck: ctx.host.name === copySource?.name ? copySource.check : undefined })));
    const own = facts.flatMap((f) => f.findings.map((finding) => ({ host: f.host, finding })));
    const { findings, sha256 } = compareHosts(facts, args, local);
    const membership = await judgeMembership(
      facts.map((f, i) => ({
        ctx: hosts[i]!.ctx,
        own: f.own,
        tool: f.tool,
        dataDir: hosts[i]!.args.dataDir,
        manifest: hosts[i]!.args.manifest,
        hasSnapshot: ['ok', 'raw', 'hash-mismatch'].includes(f.snapshot.status),
      })),
      { scope: args.cluster, snapshot: args.snapshot, standalone: args.standalone, drop: args.dropMembers, live: args.askLive },
    );
    if (args.cluster === 'self' && args.dropMembers.length)
      membership.findings.push({
        host: facts[0]!.host,
        finding: { level: 'error', message: 'dropMembers is for the multi-master runbook (cluster: hosts); a single-master restore leaves the others out with standalone: true' },
      });
    if (args.cluster === 'hosts' && args.standalone)
      membership.findings.push({
        host: facts[0]!.host,
        finding: { level: 'error', message: 'standalone is for the single-master runbook (cluster: self); the multi-master runbook restores the covered members (dropMembers names the others)' },
      });
    const restored = membership.facts.restore.members.length;
    if (args.expectedMembers !== undefined && restored !== args.expectedMembers) {
      for (const f of facts)
        membership.findings.push({
          host: f.host,
          finding: { level: 'error', message: `the restored cluster would have ${restored} member(s) but ${args.expectedMembers} are expected (expectedMembers)` },
        });
    }
    const shared: PreflightShared = { membership: membership.facts, decision: membership.decision, sha256 };
    return { value: shared, findings: [...own, ...findings, ...membership.findings] };
  },
  async plan(ctx, _args, shared) {
    const restore = (shared as PreflightShared | undefined)?.membership.restore;
    const member = restore?.members.find((m) => m.host === ctx.host.name);
    const findings: Finding[] = member
      ? [
          {
            level: 'info',
            message: `${ctx.host.name} restores member ${member.name} (peer ${member.peerUrls.join(',')}, clients ${member.clientUrls.join(',') || '?'}, data dir ${member.hostDataDir || '?'}) into a cluster of ${restore!.members.length}: --initial-cluster ${restore!.initialCluster}`,
          },
        ]
      : [];
    return { findings, changes: [], simulated: true };
  },
};
