// `sandbox up` and `sandbox status` (down lives in teardown.ts). `up` lays out N kubeadm
// masters under one folder, starts one static-pod runner per node (and, with --ssh, one
// OpenSSH server per node on the node's own address), and returns only once etcd is
// healthy over TLS on every node and each API server is ready — or fails naming the node
// and the log to read. sandbox.json is written before anything starts, so a
// crashed or interrupted `up` is always cleaned up by `down`.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { readdir, readFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DrbookError, InputError, errorMessage } from '../errors.js';
import { readSandboxInfo, writeSandboxInfo, type SandboxInfo } from './info.js';
import { probeApiServerReady, probeEtcdHealth, waitForProbe, type ProbeResult } from './health.js';
import {
  API_SERVER_PORT, DEFAULT_IP_PREFIX, ETCD_CLIENT_PORT, ETCD_PEER_PORT, commandOfEntry, filesOfSandbox, findRepoRoot,
  pathsOfNode, planNodes, runningFromSource, type SandboxNode,
} from './layout.js';
import { apiServerUrlOf, clientUrlOf, writeNodeManifests } from './manifests.js';
import { createNodeFolders, writeCrictlWrapper, writeSandboxInventory } from './node-files.js';
import { generateSandboxPki } from './pki.js';
import { isProcessAlive } from '../system/process-alive.js';
import { readLiveRunnerPid } from './runner/pid-file.js';
import { liveState, readContainersState } from './runner/state.js';
import { stopSandboxProcesses } from './teardown.js';
import { DEFAULT_STORAGE_MEDIA_TYPE, describeStorageMediaType, type StorageMediaType } from './cluster-state/storage-media-type.js';
import { writeSandboxSshFiles } from './ssh/files.js';
import { chooseSshPort } from './ssh/port.js';
import { sshdAlive, startNodeSshd } from './ssh/servers.js';

export { sandboxDown, type SandboxDownReport } from './teardown.js';
export type { SandboxInfo } from './info.js';

export interface SandboxUpOptions {
  dir: string;
  nodes?: number;
  ipPrefix?: string;
  /** One OpenSSH server per node; the inventory reaches the nodes over SSH. */
  ssh?: boolean;
  /** Port of every node's sshd (default 22 when free on the node addresses, else 2222; see ssh/port.ts). */
  sshPort?: number;
  /** How long to wait for etcd and the API servers (default 90 s). */
  timeoutMs?: number;
  /** How the seeded values are stored: protobuf (default, as a real API server) or JSON (the manifest then says --storage-media-type=application/json). */
  storageMediaType?: StorageMediaType;
  /** Progress lines for the CLI. */
  onProgress?: (message: string) => void;
}

const MAX_NODES = 9;

function validateUpOptions(options: SandboxUpOptions): { nodes: number; ipPrefix: string } {
  const nodes = options.nodes ?? 1;
  const ipPrefix = options.ipPrefix ?? DEFAULT_IP_PREFIX;
  if (options.sshPort !== undefined && !options.ssh) throw new InputError('--ssh-port is only meaningful with --ssh');
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) throw new InputError(`--nodes: expected a whole number from 1 to ${MAX_NODES}, got ${nodes}`);
  const match = /^127\.(\d{1,3})\.(\d{1,3})\.$/.exec(ipPrefix);
  if (!match || Number(match[1]) > 255 || Number(match[2]) > 255) {
    throw new InputError(`--ip-prefix: expected a loopback prefix with a trailing dot such as 127.0.0. or 127.0.31., got "${ipPrefix}"`, 'every node binds its own loopback address: <prefix>11, <prefix>12, ...');
  }
  return { nodes, ipPrefix };
}

function assertPortFree(ip: string, port: number): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'is in use' : `cannot be bound (${error.code ?? error.message})`;
      reject(new InputError(`port ${port} on ${ip} ${why}: another sandbox (or etcd) may use the same addresses`, 'pick other addresses with --ip-prefix, e.g. 127.0.31.'));
    });
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolvePort()));
  });
}

/** Refuses a folder holding a sandbox (live or not) or anything else. */
async function assertFreeFolder(dir: string): Promise<void> {
  const info = await readSandboxInfo(dir).catch(() => undefined);
  if (info || existsSync(filesOfSandbox(dir).info)) {
    const live = (info?.nodes ?? []).map((n) => readLiveRunnerPid(n.root)).filter((pid): pid is number => pid !== undefined);
    live.push(...(info?.nodes ?? []).filter((n) => sshdAlive(n.sshd)).map((n) => n.sshd!.pid!));
    if (live.length > 0) {
      throw new InputError(`a sandbox is already running in ${dir} (pid ${live.join(', ')})`, `use it, or stop it first with \`drbook sandbox down --dir ${dir}\``);
    }
    throw new InputError(`${dir} holds a stopped or crashed sandbox`, `clean it up with \`drbook sandbox down --dir ${dir}\`, then run up again`);
  }
  const entries = await readdir(dir).catch(() => [] as string[]);
  if (entries.length > 0) throw new InputError(`${dir} exists and is not empty; a sandbox needs a folder of its own`, 'choose another --dir');
}

function startRunner(node: SandboxNode): number {
  const [program, ...args] = commandOfEntry('sandbox/runner/main');
  const log = openSync(join(node.root, 'var', 'log', 'runner.log'), 'a');
  try {
    // Detached: the runner outlives `drbook sandbox up`, like a kubelet outlives kubeadm.
    const child = spawn(program!, [...args, '--node-dir', node.root], { detached: true, stdio: ['ignore', log, log] });
    if (child.pid === undefined) throw new DrbookError('internal', `cannot start the static-pod runner of ${node.name} (${program})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

type SeedModule = { seedClusterState(options: Record<string, unknown>): Promise<{ totalKeys: number; nodes: string[]; storageMediaType: StorageMediaType }> };

/** The cluster-state module is another part of the sandbox; without it the sandbox starts empty. */
async function loadSeedModule(): Promise<SeedModule | undefined> {
  const specifier = './cluster-state/seed.js';
  try {
    return (await import(specifier)) as SeedModule;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('seed')) return undefined;
    throw error;
  }
}

function apiServerAvailable(): boolean {
  const repo = findRepoRoot();
  return existsSync(runningFromSource() ? join(repo, 'src/sandbox/apiserver/main.ts') : join(repo, 'dist/src/sandbox/apiserver/main.js'));
}

function notReady(node: SandboxNode, what: string, logName: string, result: ProbeResult, timeoutMs: number): DrbookError {
  const logs = pathsOfNode(node.root).logsDir;
  return new DrbookError('timeout', `${what} on ${node.name} did not become ready within ${Math.round(timeoutMs / 1000)} s: ${result.detail ?? 'no answer'}`, {
    host: node.name,
    hint: `read ${join(logs, logName)} and ${join(node.root, 'var/log/runner.log')}; the processes are stopped, \`drbook sandbox down\` removes the folder`,
  });
}

export async function sandboxUp(options: SandboxUpOptions): Promise<SandboxInfo> {
  const { nodes: count, ipPrefix } = validateUpOptions(options);
  const dir = resolve(options.dir);
  const timeoutMs = options.timeoutMs ?? 90_000;
  const progress = options.onProgress ?? (() => undefined);
  const storageMediaType = options.storageMediaType ?? DEFAULT_STORAGE_MEDIA_TYPE;
  await assertFreeFolder(dir);
  const nodes = planNodes(dir, count, ipPrefix);
  for (const node of nodes) for (const port of [ETCD_CLIENT_PORT, ETCD_PEER_PORT, API_SERVER_PORT]) await assertPortFree(node.ip, port);
  const sshPort = options.ssh ? await chooseSshPort(nodes.map((node) => node.ip), options.sshPort) : undefined;

  await mkdir(dir, { recursive: true });
  const repo = findRepoRoot();
  const info: SandboxInfo = {
    version: 1,
    dir,
    status: 'creating',
    createdAt: new Date().toISOString(),
    ipPrefix,
    ssh: options.ssh === true,
    repo,
    dist: join(repo, 'dist'),
    fromSource: runningFromSource(),
    nodes: nodes.map((node) => {
      const p = pathsOfNode(node.root);
      return { ...node, etcdEndpoint: clientUrlOf(node), apiServer: apiServerUrlOf(node), kubeconfig: p.kubeconfig, crictl: p.crictl };
    }),
    pids: [],
    inventory: filesOfSandbox(dir).inventory,
  };
  await writeSandboxInfo(info);
  try {
    progress(`laying out ${count} node(s) in ${dir}`);
    await Promise.all(nodes.map(createNodeFolders));
    await generateSandboxPki(dir, nodes);
    await Promise.all(nodes.flatMap((node) => [writeNodeManifests(node, nodes, { storageMediaType }), writeCrictlWrapper(node)]));
    if (sshPort !== undefined) {
      progress(`generating SSH host keys and the sandbox user key (sshd port ${sshPort})`);
      const ssh = await writeSandboxSshFiles(dir, nodes, sshPort);
      info.sshAccess = ssh.access;
      ssh.nodes.forEach((server, i) => (info.nodes[i]!.sshd = server));
      await writeSandboxInfo(info);
    }
    await writeSandboxInventory(dir, nodes, info.sshAccess);

    for (const [i, node] of nodes.entries()) {
      const pid = startRunner(node);
      info.nodes[i]!.runnerPid = pid;
      info.pids.push(pid);
      await writeSandboxInfo(info);
      progress(`${node.name} (${node.ip}): static-pod runner pid ${pid}`);
    }
    if (info.sshAccess) await startSshds(info, progress);

    progress('waiting for etcd on every node (TLS, client-cert auth)');
    const etcd = await Promise.all(nodes.map((node) => waitForProbe(() => probeEtcdHealth(node), timeoutMs)));
    etcd.forEach((result, i) => {
      if (!result.ok) throw notReady(nodes[i]!, 'etcd', 'etcd.log', result, timeoutMs);
    });

    const seed = await loadSeedModule();
    if (seed) {
      progress(`seeding the cluster state under /registry (${describeStorageMediaType(storageMediaType)})`);
      const first = pathsOfNode(nodes[0]!.root);
      const summary = await seed.seedClusterState({
        endpoints: nodes.map(clientUrlOf),
        caFile: join(first.etcdPkiDir, 'ca.crt'),
        certFile: join(first.pkiDir, 'apiserver-etcd-client.crt'),
        keyFile: join(first.pkiDir, 'apiserver-etcd-client.key'),
        nodes: nodes.map((node) => node.name),
        nodeIps: Object.fromEntries(nodes.map((node) => [node.name, node.ip])),
        clusterCaPem: await readFile(join(first.pkiDir, 'ca.crt'), 'utf8'),
        storageMediaType,
      });
      info.seeded = { totalKeys: summary.totalKeys, nodes: summary.nodes, storageMediaType: summary.storageMediaType };
    }

    if (apiServerAvailable()) {
      progress('waiting for the API servers (/readyz)');
      const api = await Promise.all(nodes.map((node) => waitForProbe(() => probeApiServerReady(node), timeoutMs)));
      api.forEach((result, i) => {
        if (!result.ok) throw notReady(nodes[i]!, 'the API server', 'kube-apiserver.log', result, timeoutMs);
      });
    }
    info.status = 'running';
    await writeSandboxInfo(info);
    return info;
  } catch (error) {
    // Leave the folder (its logs tell what went wrong) but no process behind.
    await stopSandboxProcesses(dir, info).catch(() => undefined);
    info.status = 'failed';
    await writeSandboxInfo(info).catch(() => undefined);
    if (error instanceof DrbookError) throw error;
    throw new DrbookError('step', `sandbox up in ${dir} failed: ${errorMessage(error)}`, { cause: error, hint: `\`drbook sandbox down --dir ${dir}\` removes what was created` });
  }
}

/**
 * Every node's sshd, in parallel; their PIDs go to sandbox.json once all listen. An `up`
 * killed before that is still cleaned by `down`, which also finds each sshd by the pid
 * file sshd writes and by the socket it listens on (ssh/servers.ts).
 */
async function startSshds(info: SandboxInfo, progress: (message: string) => void): Promise<void> {
  const failures: unknown[] = [];
  await Promise.all(
    info.nodes.map(async (node) => {
      try {
        node.sshd!.pid = await startNodeSshd(node.name, node.sshd!);
        progress(`${node.name}: sshd pid ${node.sshd!.pid} on ${node.sshd!.address}:${node.sshd!.port}`);
      } catch (error) {
        failures.push(error);
      }
    }),
  );
  await writeSandboxInfo(info);
  if (failures.length > 0) throw failures[0];
}

export interface NodeStatus {
  name: string;
  ip: string;
  root: string;
  runner: { pid?: number; alive: boolean };
  containers: Array<{ name: string; podName: string; state: 'running' | 'exited'; pid: number; attempt: number; createdAt: string }>;
  etcd: ProbeResult;
  /** The node's OpenSSH server (SSH sandboxes only). */
  sshd?: { address: string; port: number; pid?: number; alive: boolean };
}

export interface SandboxStatus {
  dir: string;
  exists: boolean;
  status?: SandboxInfo['status'];
  createdAt?: string;
  inventory?: string;
  ssh?: boolean;
  /** Every runner (and sshd, when ssh) alive and etcd healthy on every node. */
  healthy: boolean;
  nodes: NodeStatus[];
}

export async function sandboxStatus(options: { dir: string }): Promise<SandboxStatus> {
  const dir = resolve(options.dir);
  const info = await readSandboxInfo(dir);
  if (!info) return { dir, exists: existsSync(dir), healthy: false, nodes: [] };
  const nodes = await Promise.all(
    info.nodes.map(async (node): Promise<NodeStatus> => {
      const pid = readLiveRunnerPid(node.root);
      const records = await readContainersState(pathsOfNode(node.root).containersFile).catch(() => undefined);
      const containers = (records ?? []).map((r) => ({ name: r.name, podName: r.podName, state: liveState(r), pid: r.pid, attempt: r.attempt, createdAt: r.createdAt }));
      const etcd = await probeEtcdHealth(node);
      const sshd = node.sshd && { address: node.sshd.address, port: node.sshd.port, pid: node.sshd.pid, alive: sshdAlive(node.sshd) };
      return { name: node.name, ip: node.ip, root: node.root, runner: { pid: pid ?? node.runnerPid, alive: pid !== undefined && isProcessAlive(pid) }, containers, etcd, ...(sshd ? { sshd } : {}) };
    }),
  );
  return {
    dir,
    exists: true,
    status: info.status,
    createdAt: info.createdAt,
    inventory: info.inventory,
    ssh: info.ssh,
    healthy: nodes.every((n) => n.runner.alive && n.etcd.ok && (!info.ssh || n.sshd?.alive === true)),
    nodes,
  };
}
