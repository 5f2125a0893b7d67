// A real sandbox for the end-to-end tests, brought up through the real CLI
// (`drbook sandbox up --json`) in a temp folder of its own, and always torn down by its
// recorded PIDs when the test (or file) ends — even when `up` failed half-way, since
// sandbox.json is written before any process starts. Plus the real tools pointed at it:
// etcdctl over its TLS certs, kubectl with its admin kubeconfig, its crictl stand-in.
//
// Loopback prefixes: each e2e file that starts sandboxes has its own, so the two test
// files node runs side by side never collide (other tests: grep "127.0." in test/).
//   restore.test.ts           127.0.3.
//   restore-failures.test.ts  127.0.4.
//   rehearse-demo.test.ts     127.0.5. (the snapshot's source, then the demo) and 127.0.6. (the rehearsal)

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { execa } from 'execa';
import { type SandboxInfo, type SandboxNodeInfo, pathsOfNode, type NodePaths, findProcesses, readCmdline, sandboxDown } from '@drbook/sandbox';
import { isProcessAlive } from '@drbook/system';
import { REPO, runCli, type CliResult } from './cli.js';
import { fingerprintTree } from './tree.js';

export const PREFIX_RESTORE = '127.0.3.';
export const PREFIX_FAILURES = '127.0.4.';
export const PREFIX_SOURCE_AND_DEMO = '127.0.5.';
export const PREFIX_REHEARSAL = '127.0.6.';

export const RESTORE_RUNBOOK = join(REPO, 'runbooks', 'etcd-restore.yaml');

export interface Exec {
  exitCode?: number;
  stdout: string;
  stderr: string;
}

export interface E2eSandbox {
  /** Temp folder holding the sandbox (dir) and whatever the test keeps beside it. */
  base: string;
  dir: string;
  info: SandboxInfo;
  node: SandboxNodeInfo;
  paths: NodePaths;
  /** Environment for CLI runs against this sandbox: kubectl caches under base, not in ~/.kube. */
  env: Record<string, string>;
  etcdctl(args: string[]): Promise<Exec>;
  kubectl(args: string[]): Promise<Exec>;
  crictl(args: string[]): Promise<Exec>;
}

/** Where to register the teardown: a test's `t.after`, or node:test's file-level `after`. */
export type OnCleanup = (fn: () => Promise<void>) => void;

export async function startSandbox(ipPrefix: string, onCleanup: OnCleanup): Promise<E2eSandbox> {
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-sbx-'));
  const dir = join(base, 'sbx');
  onCleanup(() => tearDown(base, dir));
  const up = await runCli(['sandbox', 'up', '--dir', dir, '--ip-prefix', ipPrefix, '--json']);
  if (up.code !== 0) throw new Error(`drbook sandbox up failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
  const info = JSON.parse(up.stdout) as SandboxInfo;
  const node = info.nodes[0]!;
  return { base, dir, info, node, paths: pathsOfNode(node.root), env: { KUBECACHEDIR: join(base, 'kube-cache') }, ...toolsFor(node, base) };
}

function toolsFor(node: SandboxNodeInfo, base: string): Pick<E2eSandbox, 'etcdctl' | 'kubectl' | 'crictl'> {
  const p = pathsOfNode(node.root);
  const tls = [`--cacert=${p.etcdPkiDir}/ca.crt`, `--cert=${p.etcdPkiDir}/healthcheck-client.crt`, `--key=${p.etcdPkiDir}/healthcheck-client.key`];
  return {
    etcdctl: (args) => execa('etcdctl', [`--endpoints=${node.etcdEndpoint}`, ...tls, '--dial-timeout=3s', '--command-timeout=10s', ...args], { env: { ETCDCTL_API: '3' }, reject: false }),
    kubectl: (args) => execa('kubectl', ['--kubeconfig', node.kubeconfig, '--cache-dir', join(base, 'kube-cache'), '--request-timeout=10s', ...args], { reject: false }),
    crictl: (args) => execa(node.crictl, args, { reject: false }),
  };
}

/**
 * One sandbox shared by the tests of a file: up before the first test, down after the
 * last (node:test's file-level hooks). Returns a getter for the tests.
 */
export function useFileSandbox(ipPrefix: string): () => E2eSandbox {
  return useSharedSandbox((onCleanup) => startSandbox(ipPrefix, onCleanup), 'the sandbox of this file');
}

/** A sandbox shared by the tests of a file: started before the first, its cleanups run after the last. */
export function useSharedSandbox<T>(start: (onCleanup: OnCleanup) => Promise<T>, what: string): () => T {
  let sbx: T | undefined;
  const cleanups: Array<() => Promise<void>> = [];
  before(async () => {
    sbx = await start((fn) => cleanups.push(fn));
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  return () => {
    if (sbx === undefined) throw new Error(`${what} did not come up`);
    return sbx;
  };
}

/** `sandbox down` through the CLI; then make sure no PID the sandbox recorded survived it. */
export async function tearDown(base: string, dir: string): Promise<void> {
  const recorded = await recordedPids(dir);
  const down = await runCli(['sandbox', 'down', '--dir', dir]).catch((error: Error) => ({ code: 1, stdout: '', stderr: error.message }) as CliResult);
  // The fallback after a failed `sandbox down`; what is left is checked by the recorded pids next.
  if (down.code !== 0) await sandboxDown({ dir }).catch(() => undefined);
  for (const pid of recorded) {
    // Only a PID that still runs something of this sandbox: PIDs get reused.
    if (isProcessAlive(pid) && (readCmdline(pid) ?? []).some((arg) => arg.includes(dir))) process.kill(pid, 'SIGKILL');
  }
  await rm(base, { recursive: true, force: true });
}

/** The runners and sshds sandbox.json lists and the containers each node's runner recorded. */
export async function recordedPids(dir: string): Promise<number[]> {
  const pids = new Set<number>();
  const info = await readFile(join(dir, 'sandbox.json'), 'utf8').then(
    (text) => JSON.parse(text) as SandboxInfo,
    () => undefined,
  );
  for (const pid of info?.pids ?? []) pids.add(pid);
  for (const node of info?.nodes ?? []) {
    if (node.runnerPid) pids.add(node.runnerPid);
    if (node.sshd?.pid) pids.add(node.sshd.pid);
    const containers = await readFile(pathsOfNode(node.root).containersFile, 'utf8').then(
      (text) => JSON.parse(text) as Array<{ pid: number }>,
      () => [],
    );
    for (const container of containers) if (container.pid > 0) pids.add(container.pid);
  }
  return [...pids];
}

/**
 * Collects, while a command that builds its own sandbox in `dir` runs (rehearse, demo),
 * every PID that sandbox records (runners in sandbox.json, containers in containers.json,
 * which change as pods are stopped and started) with the command line it ran. stop()
 * returns the ones still alive and still running that same command line (a PID reused
 * by an unrelated process afterwards is not the sandbox's).
 */
export function watchRecordedPids(dir: string, intervalMs = 100): { stop(): Promise<{ seen: number[]; alive: Array<{ pid: number; cmdline: string }> }> } {
  const seen = new Map<number, string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const pid of await recordedPids(dir).catch(() => [])) {
        const cmdline = readCmdline(pid)?.join(' ');
        if (!seen.has(pid) && cmdline && isProcessAlive(pid)) seen.set(pid, cmdline);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const alive = [...seen].filter(([pid, cmdline]) => isProcessAlive(pid) && readCmdline(pid)?.join(' ') === cmdline).map(([pid, cmdline]) => ({ pid, cmdline }));
      return { seen: [...seen.keys()], alive };
    },
  };
}

/** Live processes whose command line mentions `dir` (etcd's --data-dir, a runner's --node-dir, ...). */
export function processesUnder(dir: string): number[] {
  return findProcesses((argv) => argv.some((arg) => arg.includes(dir)));
}

export interface Kv {
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
}

export interface Keyspace {
  /** The store revision the read was served at. */
  revision: number;
  kvs: Record<string, Kv>;
}

/** Every key of etcd (not only /registry) with its value and revisions, in one read. */
export async function readKeyspace(sbx: E2eSandbox): Promise<Keyspace> {
  const result = await sbx.etcdctl(['get', '', '--from-key', '-w', 'json']);
  if (result.exitCode !== 0) throw new Error(`etcdctl get failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as {
    header: { revision: number };
    kvs?: Array<{ key: string; value?: string; create_revision: number; mod_revision: number; version: number }>;
  };
  const text = (b64?: string) => Buffer.from(b64 ?? '', 'base64').toString('utf8');
  const kvs: Record<string, Kv> = {};
  for (const kv of parsed.kvs ?? []) kvs[text(kv.key)] = { value: text(kv.value), createRevision: kv.create_revision, modRevision: kv.mod_revision, version: kv.version };
  return { revision: parsed.header.revision, kvs };
}

/** cluster and member id as decimal strings (they exceed 2^53, so never through JSON numbers). */
export async function readMemberIdentity(sbx: E2eSandbox): Promise<{ clusterId: string; memberId: string }> {
  const result = await sbx.etcdctl(['endpoint', 'status', '-w', 'json']);
  if (result.exitCode !== 0) throw new Error(`etcdctl endpoint status failed: ${result.stderr}`);
  const clusterId = /"cluster_id":(\d+)/.exec(result.stdout)?.[1];
  const memberId = /"member_id":(\d+)/.exec(result.stdout)?.[1];
  if (!clusterId || !memberId) throw new Error(`unexpected etcdctl endpoint status output: ${result.stdout}`);
  return { clusterId, memberId };
}

/** Names of the containers crictl shows running. */
export async function runningContainers(sbx: E2eSandbox): Promise<string[]> {
  const result = await sbx.crictl(['ps', '-o', 'json']);
  if (result.exitCode !== 0) throw new Error(`crictl ps failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { containers: Array<{ metadata?: { name: string }; name?: string; state: string }> };
  return parsed.containers
    .filter((c) => /running/i.test(c.state))
    .map((c) => c.metadata?.name ?? c.name ?? '?')
    .sort();
}

/**
 * The node's files, byte for byte, except var/log: the sandbox's own processes append to
 * their logs whenever anything talks to them (etcd, the API server, the runner), which
 * says nothing about what a run changed. Everything else is kept on purpose: etc/
 * (manifests, stash, pki, admin.conf), var/lib (etcd's data dir, and any -restore-/-old-
 * dir a run would leave), run/ (containers.json and runner.pid change when any pod is
 * stopped or restarted) and bin/.
 */
export async function fingerprintNode(sbx: E2eSandbox): Promise<Record<string, string>> {
  const all = await fingerprintTree(sbx.node.root);
  return Object.fromEntries(Object.entries(all).filter(([path]) => path !== 'var/log' && !path.startsWith('var/log/')));
}

/**
 * Waits (no assertion on how long) until the API server answers /readyz. The restore
 * runbook's last step restarts the kubelet; the sandbox's kubelet restarts the API
 * server with the controllers, so it is briefly away right after a run.
 */
export async function waitForApiServer(sbx: E2eSandbox, timeoutMs = 30_000): Promise<void> {
  await retryUntilSuccess(
    () => sbx.kubectl(['get', '--raw', '/readyz']),
    Date.now() + timeoutMs,
    (last) => `the API server of ${sbx.node.name} did not answer /readyz: ${last.stderr}`,
  );
}

interface CommandOutcome {
  exitCode?: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `attempt` every 200 ms until it exits 0; past `deadline` (epoch ms) throws what `failure` says of the last try. */
export async function retryUntilSuccess(attempt: () => Promise<CommandOutcome>, deadline: number, failure: (last: CommandOutcome) => string): Promise<void> {
  for (;;) {
    const result = await attempt();
    if (result.exitCode === 0) return;
    if (Date.now() > deadline) throw new Error(failure(result));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Names and Ready status of the nodes the real kubectl lists. */
export async function readyNodes(sbx: E2eSandbox): Promise<Array<{ name: string; ready: string | undefined }>> {
  const result = await sbx.kubectl(['get', 'nodes', '-o', 'json']);
  if (result.exitCode !== 0) throw new Error(`kubectl get nodes failed: ${result.stderr}`);
  const list = JSON.parse(result.stdout) as { items: Array<{ metadata: { name: string }; status?: { conditions?: Array<{ type: string; status: string }> } }> };
  return list.items.map((item) => ({ name: item.metadata.name, ready: item.status?.conditions?.find((c) => c.type === 'Ready')?.status })).sort((a, b) => a.name.localeCompare(b.name));
}

export async function saveSnapshot(sbx: E2eSandbox, file: string): Promise<{ file: string; revision: number; totalKeys: number; size: number; sha256: string }> {
  const result = await runCli(['sandbox', 'snapshot', file, '--dir', sbx.dir, '--json']);
  if (result.code !== 0) throw new Error(`drbook sandbox snapshot failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** `drbook run` (or plan) of the restore runbook on the sandbox's masters, JSON events on stdout. */
export function runRestore(sbx: E2eSandbox, stateDir: string, extra: string[], command: string[] = ['run']): Promise<CliResult> {
  return runCli([...command, RESTORE_RUNBOOK, '-i', sbx.info.inventory, '-t', 'masters', '--state-dir', stateDir, ...extra], { env: sbx.env });
}
