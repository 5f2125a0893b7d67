// The hosts a fault case runs against: a real sandbox (1 master with local hosts, or 3
// masters each behind its own sshd), brought up through the real CLI in a temp folder
// and torn down by its recorded PIDs (test/e2e/support/sandbox.ts's tearDown). Plus
// what the fault cases look at ON THE HOSTS (never the journal): which keys each member
// serves, what an etcd backend file on disk holds, the manifests' SHA-256, the data
// dir's inode, the containers running, stray processes and locks.
//
// Loopback prefixes of the fault suite (H10's range 127.0.180.–127.0.199.):
//   kill-points-single.test.ts   127.0.180.
//   kill-points-ha.test.ts       127.0.181.
//   kill-points-ha.test.ts       127.0.185.1 (support/silent-host.ts: TCP, never SSH)
//   environment.test.ts          127.0.182. (state dir, signals), 127.0.183. (the sandbox on a tmpfs)
//   ssh-faults.test.ts           127.0.184. (3 masters over SSH, sshd killed)

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { type SandboxInfo, pathsOfNode, type NodePaths, findProcesses, parentOf, readCmdline } from '@drbook/sandbox';
import { readSnapshotKeys } from '../../../src/etcd/snapshot-keys.js';
import { REPO, runCli, type CliResult } from '../../e2e/support/cli.js';
import { recordedPids, retryUntilSuccess, tearDown } from '../../e2e/support/sandbox.js';

export const SINGLE_RUNBOOK = join(REPO, 'runbooks', 'etcd-restore.yaml');
export const HA_RUNBOOK = join(REPO, 'runbooks', 'etcd-restore-ha.yaml');
export const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

export interface Exec {
  exitCode?: number;
  stdout: string;
  stderr: string;
}

export interface Target {
  label: string;
  base: string;
  dir: string;
  info: SandboxInfo;
  ha: boolean;
  runbook: string;
  paths: NodePaths[];
  env: Record<string, string>;
  etcdctl(args: string[], endpoints?: string[]): Promise<Exec>;
  /** `drbook run` of the target's runbook (the single-master one on group masters). */
  runArgs(stateDir: string, snapshot: string, extra?: string[]): string[];
}

export async function startTarget(ipPrefix: string, ha: boolean, options: { dir?: string; base?: string } = {}): Promise<Target> {
  const base = options.base ?? (await mkdtemp(join(tmpdir(), 'drbook-faults-')));
  const dir = options.dir ?? join(base, 'sbx');
  const up = await runCli(['sandbox', 'up', '--dir', dir, '--ip-prefix', ipPrefix, '--json', ...(ha ? ['--nodes', '3', '--ssh'] : [])]);
  if (up.code !== 0) {
    // The failed `up` is what is reported next; this only tears down what it left.
    await tearDown(base, dir).catch(() => undefined);
    throw new Error(`drbook sandbox up failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
  }
  const info = JSON.parse(up.stdout) as SandboxInfo;
  const paths = info.nodes.map((n) => pathsOfNode(n.root));
  const p = paths[0]!;
  const tls = [`--cacert=${p.etcdPkiDir}/ca.crt`, `--cert=${p.etcdPkiDir}/healthcheck-client.crt`, `--key=${p.etcdPkiDir}/healthcheck-client.key`];
  const all = info.nodes.map((n) => n.etcdEndpoint);
  const runbook = ha ? HA_RUNBOOK : SINGLE_RUNBOOK;
  return {
    label: ha ? '3-masters-ssh' : 'single-master',
    base,
    dir,
    info,
    ha,
    runbook,
    paths,
    env: { KUBECACHEDIR: join(base, 'kube-cache') },
    etcdctl: (args, endpoints = all) =>
      execa('etcdctl', [`--endpoints=${endpoints.join(',')}`, ...tls, '--dial-timeout=3s', '--command-timeout=10s', ...args], { env: { ETCDCTL_API: '3' }, reject: false }),
    runArgs: (stateDir, snapshot, extra = []) => [
      'run',
      runbook,
      '-i',
      info.inventory,
      ...(ha ? [] : ['-t', 'masters']),
      '--state-dir',
      stateDir,
      '-p',
      `snapshot=${snapshot}`,
      '--yes',
      '-o',
      'json',
      ...extra,
    ],
  };
}

export async function stopTarget(target: Target): Promise<void> {
  await tearDown(target.base, target.dir);
}

export async function saveSnapshot(target: Target, file: string): Promise<string> {
  const result = await runCli(['sandbox', 'snapshot', file, '--dir', target.dir, '--json']);
  if (result.code !== 0) throw new Error(`drbook sandbox snapshot failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
  return (JSON.parse(result.stdout) as { file: string }).file;
}

/** The value member i serves for `key` (serializable read: that member's own data), or undefined; throws when it does not answer. */
export async function servedValue(target: Target, node: number, key: string): Promise<string | undefined> {
  const result = await target.etcdctl(['get', key, '--print-value-only', '--consistency=s'], [target.info.nodes[node]!.etcdEndpoint]);
  if (result.exitCode !== 0) throw new Error(`${target.info.nodes[node]!.name}: etcdctl get failed: ${result.stderr}`);
  return result.stdout === '' ? undefined : result.stdout.replace(/\n$/, '');
}

/** Every member answers a linearizable read (a leader), within `timeoutMs`. */
export async function etcdHealthy(target: Target, timeoutMs = 40_000): Promise<boolean> {
  return retryUntilSuccess(
    () => target.etcdctl(['endpoint', 'health']),
    Date.now() + timeoutMs,
    () => 'unhealthy',
  ).then(
    () => true,
    () => false,
  );
}

export async function apiServersReady(target: Target, timeoutMs = 40_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (const node of target.info.nodes) {
    const ok = await retryUntilSuccess(
      () => execa('kubectl', ['--kubeconfig', node.kubeconfig, '--cache-dir', join(target.base, 'kube-cache'), '--request-timeout=5s', 'get', '--raw', '/readyz'], { reject: false }),
      deadline,
      () => 'not ready',
    ).then(
      () => true,
      () => false,
    );
    if (!ok) return false;
  }
  return true;
}

/** Names of the containers node i's crictl shows running ([] when crictl fails). */
export async function runningOn(target: Target, node: number): Promise<string[]> {
  const result = await execa(target.info.nodes[node]!.crictl, ['ps', '-o', 'json'], { reject: false });
  if (result.exitCode !== 0) return [];
  const parsed = JSON.parse(result.stdout) as { containers: Array<{ metadata?: { name: string }; name?: string; state: string }> };
  return parsed.containers
    .filter((c) => /running/i.test(c.state))
    .map((c) => c.metadata?.name ?? c.name ?? '?')
    .sort();
}

/** SHA-256 of every file in a folder (name → hash). */
export async function hashFolder(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isFile())
      out[name] = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
  }
  return out;
}

/** The keys of an etcd data dir's backend file on disk (member/snap/db), or undefined when there is none / it cannot be read. */
export async function keysOnDisk(dataDir: string): Promise<Set<string> | undefined> {
  const db = join(dataDir, 'member', 'snap', 'db');
  if (!existsSync(db)) return undefined;
  try {
    return readSnapshotKeys(await readFile(db)).keys;
  } catch {
    return undefined;
  }
}

/** Data dirs beside node i's data dir that belong to run `runId` (kept old dir, restore target). */
export async function runLeftovers(target: Target, node: number, runId: string): Promise<string[]> {
  const dataDir = target.paths[node]!.dataDir;
  return (await readdir(join(dataDir, '..'))).filter((n) => n.includes(runId));
}

/**
 * Processes that are not the sandbox's own: anything whose command line names this
 * target's folder or the run id, and anything under an sshd of the sandbox (a remote
 * command left behind by a killed drbook), except the PIDs the sandbox records (runners,
 * sshds, containers) and their own children.
 */
export async function strayProcesses(target: Target, runId?: string): Promise<Array<{ pid: number; cmdline: string }>> {
  const recorded = new Set(await recordedPids(target.dir));
  // Every sshd the sandbox records, masters' and workers' (read again: a test may start one anew).
  const info = JSON.parse(await readFile(join(target.dir, 'sandbox.json'), 'utf8')) as SandboxInfo;
  const sshds = new Set([...info.nodes, ...(info.workers ?? [])].map((n) => n.sshd?.pid).filter((p): p is number => !!p));
  for (const pid of sshds) recorded.add(pid);
  const own = new Set([process.pid]);
  const chain = (pid: number): number[] => {
    const out: number[] = [];
    for (let p: number | undefined = parentOf(pid); p && p > 1 && out.length < 64; p = parentOf(p)) out.push(p);
    return out;
  };
  const candidates = findProcesses(() => true);
  const strays: Array<{ pid: number; cmdline: string }> = [];
  for (const pid of candidates) {
    if (recorded.has(pid) || own.has(pid)) continue;
    const argv = readCmdline(pid) ?? [];
    const ancestors = chain(pid);
    if (ancestors.includes(process.pid)) continue; // this test's own children (etcdctl, kubectl it runs)
    const underSshd = ancestors.some((a) => sshds.has(a));
    const named = argv.some((a) => a.includes(target.base) || (runId !== undefined && a.includes(runId)));
    if (!underSshd && !named) continue;
    if (!underSshd && ancestors.some((a) => recorded.has(a) && !sshds.has(a))) continue; // a runner's or container's child
    strays.push({ pid, cmdline: argv.join(' ') });
  }
  return strays;
}

/** Strays that stay (processes on their way out get a few seconds). */
export async function lastingStrays(target: Target, runId?: string, graceMs = 5_000): Promise<Array<{ pid: number; cmdline: string }>> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const strays = await strayProcesses(target, runId);
    if (strays.length === 0 || Date.now() > deadline) return strays;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Locks a finished run left: files in the local state dir's locks folder, and on each
 * host with a host state dir (the inventory's `hostStateDir`, or <node>/var/lib/drbook
 * when present): a held `lock` (flock -n fails) or a run marker of this run. Works with
 * and without host locks: what does not exist is not a lock.
 */
export async function locksLeft(target: Target, stateDir: string, runId: string): Promise<string[]> {
  const left: string[] = [];
  const localLocks = join(stateDir, 'locks');
  for (const name of await readdir(localLocks).catch(() => [] as string[])) left.push(`local ${join(localLocks, name)}`);
  if (existsSync(join(stateDir, 'lock'))) {
    const held = await execa('flock', ['-n', join(stateDir, 'lock'), 'true'], { reject: false });
    if (held.exitCode !== 0) left.push(`local ${join(stateDir, 'lock')} (held)`);
  }
  for (const dir of await hostStateDirs(target)) {
    const lock = join(dir, 'lock');
    if (existsSync(lock)) {
      const held = await execa('flock', ['-n', lock, 'true'], { reject: false });
      if (held.exitCode !== 0) left.push(`host ${lock} (held)`);
    }
    for (const name of await readdir(join(dir, 'runs')).catch(() => [] as string[])) if (name.includes(runId)) left.push(`host ${join(dir, 'runs', name)}`);
  }
  return left;
}

async function hostStateDirs(target: Target): Promise<string[]> {
  const text = await readFile(target.info.inventory, 'utf8');
  const named = [...text.matchAll(/hostStateDir:\s*['"]?([^'"\n]+)/g)].map((m) => m[1]!.trim());
  const beside = target.info.nodes.map((n) => join(n.root, 'var', 'lib', 'drbook')).filter((d) => existsSync(d));
  return [...new Set([...named, ...beside])];
}

export function output(result: CliResult): string {
  return `exit ${result.code} signal ${result.signal}\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}`;
}
