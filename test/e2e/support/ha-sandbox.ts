// A real 3-node sandbox for the multi-master restore tests, brought up through the real
// CLI (`drbook sandbox up --nodes 3 [--ssh] --json`) in a temp folder of its own and
// always torn down by its recorded PIDs (runners, containers, sshds). Plus the real
// tools pointed at the whole cluster: etcdctl over TLS to every member, kubectl
// through each master's API server, and copies of the inventory with per-host changes.
//
// Loopback prefixes of the multi-master tests (others: grep "127.0." in test/):
//   restore-ha.test.ts           127.0.7.
//   restore-ha-refusals.test.ts  127.0.8.
//   bench/restore-ha.js          127.0.9.
//   restore-ha-copy.test.ts      127.0.10.

import { mkdtemp, readFile, writeFile, chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { type SandboxInfo, pathsOfNode } from '@drbook/sandbox';
import { REPO, runCli, type CliResult } from './cli.js';
import { retryUntilSuccess, tearDown, useSharedSandbox } from './sandbox.js';
import { fingerprintTree } from './tree.js';

export const PREFIX_HA = '127.0.7.';
export const PREFIX_HA_REFUSALS = '127.0.8.';
export const PREFIX_HA_COPY = '127.0.10.';

export const HA_RUNBOOK = join(REPO, 'runbooks', 'etcd-restore-ha.yaml');

export interface Exec {
  exitCode?: number;
  stdout: string;
  stderr: string;
}

export interface HaSandbox {
  base: string;
  dir: string;
  info: SandboxInfo;
  ssh: boolean;
  env: Record<string, string>;
  /** etcdctl with node1's client certs against the given endpoints (default: every member). */
  etcdctl(args: string[], endpoints?: string[]): Promise<Exec>;
  /** kubectl through the API server of node i (0-based). */
  kubectl(node: number, args: string[]): Promise<Exec>;
}

export async function startHaSandbox(ipPrefix: string, onCleanup: (fn: () => Promise<void>) => void, options: { ssh: boolean }): Promise<HaSandbox> {
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-ha-'));
  const dir = join(base, 'sbx');
  onCleanup(() => tearDown(base, dir));
  const up = await runCli(['sandbox', 'up', '--dir', dir, '--nodes', '3', '--ip-prefix', ipPrefix, ...(options.ssh ? ['--ssh'] : []), '--json']);
  if (up.code !== 0) throw new Error(`drbook sandbox up --nodes 3 failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
  const info = JSON.parse(up.stdout) as SandboxInfo;
  const p = pathsOfNode(info.nodes[0]!.root);
  const tls = [`--cacert=${p.etcdPkiDir}/ca.crt`, `--cert=${p.etcdPkiDir}/healthcheck-client.crt`, `--key=${p.etcdPkiDir}/healthcheck-client.key`];
  const all = info.nodes.map((n) => n.etcdEndpoint);
  return {
    base,
    dir,
    info,
    ssh: options.ssh,
    env: { KUBECACHEDIR: join(base, 'kube-cache') },
    etcdctl: (args, endpoints = all) =>
      execa('etcdctl', [`--endpoints=${endpoints.join(',')}`, ...tls, '--dial-timeout=3s', '--command-timeout=10s', ...args], { env: { ETCDCTL_API: '3' }, reject: false }),
    kubectl: (node, args) => execa('kubectl', ['--kubeconfig', info.nodes[node]!.kubeconfig, '--cache-dir', join(base, 'kube-cache'), '--request-timeout=10s', ...args], { reject: false }),
  };
}

/** One sandbox for the tests of a file: up before the first, down after the last. */
export function useHaSandbox(ipPrefix: string, options: { ssh: boolean }): () => HaSandbox {
  return useSharedSandbox((onCleanup) => startHaSandbox(ipPrefix, onCleanup, options), 'the 3-node sandbox of this file');
}

/** A copy of the sandbox's inventory with per-host vars changed (the sandbox's own file stays as it is). */
export async function inventoryCopy(sbx: HaSandbox, name: string, vars: Record<string, Record<string, unknown>>): Promise<string> {
  const doc = parse(await readFile(sbx.info.inventory, 'utf8')) as { hosts: Record<string, { vars?: Record<string, unknown> }> };
  for (const [host, extra] of Object.entries(vars)) {
    const entry = doc.hosts[host];
    if (!entry) throw new Error(`no host ${host} in ${sbx.info.inventory}`);
    entry.vars = { ...entry.vars, ...extra };
  }
  const file = join(sbx.base, `${name}.inventory.yaml`);
  await writeFile(file, stringify(doc));
  return file;
}

/** `drbook run|plan` of the HA runbook on the sandbox's masters, JSON events on stdout. */
export function runHa(sbx: HaSandbox, stateDir: string, args: string[], options: { command?: string[]; inventory?: string } = {}): Promise<CliResult> {
  return runCli([...(options.command ?? ['run']), HA_RUNBOOK, '-i', options.inventory ?? sbx.info.inventory, '--state-dir', stateDir, ...args], { env: sbx.env });
}

export async function saveSnapshot(sbx: HaSandbox, file: string): Promise<{ file: string; revision: number; sha256: string }> {
  const result = await runCli(['sandbox', 'snapshot', file, '--dir', sbx.dir, '--json']);
  if (result.code !== 0) throw new Error(`drbook sandbox snapshot failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Every key with its value, as node i's member serves it (serializable: that member's own data). */
export async function readKeys(sbx: HaSandbox, node?: number): Promise<Record<string, string>> {
  const endpoints = node === undefined ? undefined : [sbx.info.nodes[node]!.etcdEndpoint];
  const result = await sbx.etcdctl(['get', '', '--from-key', '-w', 'json', ...(node === undefined ? [] : ['--consistency=s'])], endpoints);
  if (result.exitCode !== 0) throw new Error(`etcdctl get failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { kvs?: Array<{ key: string; value?: string }> };
  const text = (b64?: string) => Buffer.from(b64 ?? '', 'base64').toString('utf8');
  return Object.fromEntries((parsed.kvs ?? []).map((kv) => [text(kv.key), text(kv.value)]));
}

export interface ClusterView {
  /** member name → peer URLs, from member list. */
  members: string[];
  clusterIds: string[];
  memberIds: string[];
  leaders: string[];
  revisions: number[];
}

/** Member list and every endpoint's status. Ids as decimal strings (they exceed 2^53). */
export async function readCluster(sbx: HaSandbox): Promise<ClusterView> {
  const list = await sbx.etcdctl(['member', 'list', '-w', 'json']);
  if (list.exitCode !== 0) throw new Error(`etcdctl member list failed: ${list.stderr}`);
  const members = (JSON.parse(list.stdout) as { members: Array<{ name: string; peerURLs: string[] }> }).members.map((m) => `${m.name} ${m.peerURLs.join(',')}`).sort();
  const status = await sbx.etcdctl(['endpoint', 'status', '-w', 'json']);
  if (status.exitCode !== 0) throw new Error(`etcdctl endpoint status failed: ${status.stderr}`);
  const rows = [...status.stdout.matchAll(/"cluster_id":(\d+),"member_id":(\d+),"revision":(\d+).*?"leader":(\d+)/g)];
  return {
    members,
    clusterIds: rows.map((r) => r[1]!),
    memberIds: rows.map((r) => r[2]!),
    revisions: rows.map((r) => Number(r[3])),
    leaders: rows.map((r) => r[4]!),
  };
}

/**
 * Every node's files byte for byte, except what the sandbox's live processes write by
 * themselves: their logs (var/log) and the content of the running etcd member's own
 * files (its bbolt db commits writes in the background). Those files are still listed,
 * with type, mode and owner: a data dir moved, swapped or removed shows.
 */
export async function fingerprintNodes(sbx: HaSandbox): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const node of sbx.info.nodes) {
    const all = await fingerprintTree(node.root);
    out[node.name] = Object.fromEntries(
      Object.entries(all)
        .filter(([path]) => path !== 'var/log' && !path.startsWith('var/log/'))
        .map(([path, print]) => [path, path.startsWith('var/lib/etcd/member/') ? print.replace(/ [0-9a-f]{64}$/, '') : print]),
    );
  }
  return out;
}

/** Names of the containers node i's crictl shows running. */
export async function runningOn(sbx: HaSandbox, node: number): Promise<string[]> {
  const result = await execa(sbx.info.nodes[node]!.crictl, ['ps', '-o', 'json'], { reject: false });
  if (result.exitCode !== 0) throw new Error(`crictl ps failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { containers: Array<{ metadata?: { name: string }; name?: string; state: string }> };
  return parsed.containers
    .filter((c) => /running/i.test(c.state))
    .map((c) => c.metadata?.name ?? c.name ?? '?')
    .sort();
}

/**
 * An etcdctl for one host whose `snapshot restore` really runs, then fails as a full
 * disk would (exit 1, after writing part of the data); everything else (version, --help,
 * status) is the real etcdctl's. Put on a host through its inventory var `etcdctl`.
 */
export async function writeFailingEtcdctl(sbx: HaSandbox): Promise<string> {
  const bin = join(sbx.base, 'bin');
  await mkdir(bin, { recursive: true });
  const file = join(bin, 'etcdctl-restore-fails');
  const real = (await execa('sh', ['-c', 'command -v etcdctl'])).stdout.trim();
  await writeFile(
    file,
    `#!/bin/sh\n# e2e: a restore that fails on this host after writing part of the data\n` +
      `if [ "$1" = snapshot ] && [ "$2" = restore ]; then\n  case " $* " in *" --help "*) exec ${real} "$@";; esac\n` +
      `  ${real} "$@" >/dev/null 2>&1\n  echo "injected failure: write error: no space left on device" >&2\n  exit 1\nfi\nexec ${real} "$@"\n`,
  );
  await chmod(file, 0o755);
  return file;
}

/** Wait (no timing asserted) until every API server answers /readyz: the kubelet restart restarts them. */
export async function waitForApiServers(sbx: HaSandbox, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const [i, node] of sbx.info.nodes.entries()) {
    await retryUntilSuccess(
      () => sbx.kubectl(i, ['get', '--raw', '/readyz']),
      deadline,
      (last) => `the API server of ${node.name} did not answer /readyz: ${last.stderr}`,
    );
  }
}

/** Wait (no timing asserted) until every member answers a linearizable read: after a restart the members elect a leader first. */
export async function waitForEtcd(sbx: HaSandbox, timeoutMs = 30_000): Promise<void> {
  await retryUntilSuccess(
    () => sbx.etcdctl(['endpoint', 'health']),
    Date.now() + timeoutMs,
    (last) => `etcd did not become healthy: ${last.stderr || last.stdout}`,
  );
}
