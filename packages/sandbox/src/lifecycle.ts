// `sandbox up` (status lives in status.ts, down in teardown.ts). It lays out N kubeadm
// masters and M workers under one folder, starts one static-pod runner (the kubelet) per
// node (and, with --ssh, one OpenSSH server per node on the node's own address), builds
// the etcd cluster the way kubeadm does (control-plane.ts: init, then one join at a
// time), and returns only once etcd is healthy over TLS on every master and each API
// server is ready — or fails naming the node and the log to read. sandbox.json is
// written before anything starts, so a crashed or interrupted `up` is always cleaned up
// by `down`.

import { existsSync } from 'node:fs';
import { readdir, readFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, resolve } from 'node:path';
import { SandboxError, SandboxInputError, errorMessage } from './errors.js';
import { allNodesOf, readSandboxInfo, writeSandboxInfo, type SandboxInfo } from './info.js';
import { detectEtcdImageTag, joinMasters, writeInitialManifests } from './control-plane.js';
import { probeApiServerReady, probeEtcdHealth, waitForProbe, type ProbeResult } from './health.js';
import {
  API_SERVER_PORT,
  DEFAULT_IP_PREFIX,
  DEFAULT_WORKERS,
  ETCD_CLIENT_PORT,
  ETCD_METRICS_PORT,
  ETCD_PEER_PORT,
  codeDirOf,
  filesOfSandbox,
  pathsOfNode,
  planNodes,
  planWorkers,
  runningFromSource,
  type SandboxNode,
} from './layout.js';
import { apiServerUrlOf, clientUrlOf, presentCaCertDirs } from './manifests.js';
import { createNodeFolders, writeCrictlWrapper, writeKubeletRestart, writeSandboxInventory } from './node-files.js';
import { generateSandboxPki } from './pki.js';
import { readLiveRunnerPid } from './runner/pid-file.js';
import { startRunner, startSshds } from './start-processes.js';
import { stopSandboxProcesses } from './teardown.js';
import { seedClusterState as seedRegistry } from './cluster-state/seed.js';
import { DEFAULT_STORAGE_MEDIA_TYPE, describeStorageMediaType, type StorageMediaType } from './cluster-state/storage-media-type.js';
import { writeSandboxSshFiles } from './ssh/files.js';
import { chooseSshPort } from './ssh/port.js';
import { sshdAlive } from './ssh/servers.js';

export { sandboxDown, type SandboxDownReport } from './teardown.js';
export { sandboxStatus, type NodeStatus, type SandboxStatus } from './status.js';
export type { SandboxInfo } from './info.js';

export interface SandboxUpOptions {
  dir: string;
  /** Masters (default 1). */
  nodes?: number;
  /** Workers: kubelet-only nodes (default DEFAULT_WORKERS, the seeded cluster's). */
  workers?: number;
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

function validateUpOptions(options: SandboxUpOptions): { nodes: number; workers: number; ipPrefix: string } {
  const nodes = options.nodes ?? 1;
  const workers = options.workers ?? DEFAULT_WORKERS;
  const ipPrefix = options.ipPrefix ?? DEFAULT_IP_PREFIX;
  if (options.sshPort !== undefined && !options.ssh) throw new SandboxInputError('--ssh-port is only meaningful with --ssh');
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) throw new SandboxInputError(`--nodes: expected a whole number from 1 to ${MAX_NODES}, got ${nodes}`);
  if (!Number.isInteger(workers) || workers < 0 || workers > MAX_NODES) throw new SandboxInputError(`--workers: expected a whole number from 0 to ${MAX_NODES}, got ${workers}`);
  const match = /^127\.(\d{1,3})\.(\d{1,3})\.$/.exec(ipPrefix);
  if (!match || Number(match[1]) > 255 || Number(match[2]) > 255) {
    throw new SandboxInputError(
      `--ip-prefix: expected a loopback prefix with a trailing dot such as 127.0.0. or 127.0.31., got "${ipPrefix}"`,
      'every node binds its own loopback address: <prefix>11, <prefix>12, ...',
    );
  }
  return { nodes, workers, ipPrefix };
}

function assertPortFree(ip: string, port: number): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'is in use' : `cannot be bound (${error.code ?? error.message})`;
      reject(new SandboxInputError(`port ${port} on ${ip} ${why}: another sandbox (or etcd) may use the same addresses`, 'pick other addresses with --ip-prefix, e.g. 127.0.31.'));
    });
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolvePort()));
  });
}

/** Refuses a folder holding a sandbox (live or not) or anything else. */
async function assertFreeFolder(dir: string): Promise<void> {
  // An unreadable sandbox.json still refuses the folder: the existsSync below sees the file.
  const info = await readSandboxInfo(dir).catch(() => undefined);
  if (info || existsSync(filesOfSandbox(dir).info)) {
    const nodes = info ? allNodesOf(info) : [];
    const live = nodes.map((n) => readLiveRunnerPid(n.root)).filter((pid): pid is number => pid !== undefined);
    live.push(...nodes.filter((n) => sshdAlive(n.sshd)).map((n) => n.sshd!.pid!));
    if (live.length > 0) {
      throw new SandboxInputError(`a sandbox is already running in ${dir} (pid ${live.join(', ')})`, `use it, or stop it first with \`drbook sandbox down --dir ${dir}\``);
    }
    throw new SandboxInputError(`${dir} holds a stopped or crashed sandbox`, `clean it up with \`drbook sandbox down --dir ${dir}\`, then run up again`);
  }
  const entries = await readdir(dir).catch(() => [] as string[]);
  if (entries.length > 0) throw new SandboxInputError(`${dir} exists and is not empty; a sandbox needs a folder of its own`, 'choose another --dir');
}

/** Seeds /registry through the init master. */
async function seedClusterState(
  init: SandboxNode,
  masters: SandboxNode[],
  workers: SandboxNode[],
  storageMediaType: StorageMediaType,
  progress: (message: string) => void,
): Promise<SandboxInfo['seeded']> {
  progress(`seeding the cluster state under /registry (${describeStorageMediaType(storageMediaType)})`);
  const p = pathsOfNode(init.root);
  const summary = await seedRegistry({
    endpoints: [clientUrlOf(init)],
    caFile: join(p.etcdPkiDir, 'ca.crt'),
    certFile: join(p.pkiDir, 'apiserver-etcd-client.crt'),
    keyFile: join(p.pkiDir, 'apiserver-etcd-client.key'),
    nodes: masters.map((node) => node.name),
    nodeIps: Object.fromEntries(masters.map((node) => [node.name, node.ip])),
    // The Node objects of the sandbox's own workers.
    workers: workers.map((node) => ({ name: node.name, ip: node.ip })),
    clusterCaPem: await readFile(join(p.pkiDir, 'ca.crt'), 'utf8'),
    storageMediaType,
  });
  return { totalKeys: summary.totalKeys, nodes: summary.nodes, storageMediaType: summary.storageMediaType };
}

function notReady(node: SandboxNode, what: string, logName: string, result: ProbeResult, timeoutMs: number): SandboxError {
  const logs = pathsOfNode(node.root).logsDir;
  return new SandboxError('timeout', `${what} on ${node.name} did not become ready within ${Math.round(timeoutMs / 1000)} s: ${result.detail ?? 'no answer'}`, {
    host: node.name,
    hint: `read ${join(logs, logName)} and ${join(node.root, 'var/log/runner.log')}; the processes are stopped, \`drbook sandbox down\` removes the folder`,
  });
}

export async function sandboxUp(options: SandboxUpOptions): Promise<SandboxInfo> {
  const { nodes: count, workers: workerCount, ipPrefix } = validateUpOptions(options);
  const dir = resolve(options.dir);
  const timeoutMs = options.timeoutMs ?? 90_000;
  const progress = options.onProgress ?? (() => undefined);
  const storageMediaType = options.storageMediaType ?? DEFAULT_STORAGE_MEDIA_TYPE;
  await assertFreeFolder(dir);
  const nodes = planNodes(dir, count, ipPrefix);
  const workers = planWorkers(dir, workerCount, ipPrefix);
  for (const node of nodes) for (const port of [ETCD_CLIENT_PORT, ETCD_PEER_PORT, ETCD_METRICS_PORT, API_SERVER_PORT]) await assertPortFree(node.ip, port);
  const everyNode = [...nodes, ...workers];
  const sshPort = options.ssh
    ? await chooseSshPort(
        everyNode.map((node) => node.ip),
        options.sshPort,
      )
    : undefined;

  await mkdir(dir, { recursive: true });
  // One `etcd --version`, while the folders and certificates are made.
  const etcdImageTagOf = detectEtcdImageTag();
  // Awaited below, where its error is reported; this only keeps an early rejection from being unhandled.
  etcdImageTagOf.catch(() => undefined);
  const info: SandboxInfo = {
    version: 1,
    dir,
    status: 'creating',
    createdAt: new Date().toISOString(),
    ipPrefix,
    ssh: options.ssh === true,
    codeDir: codeDirOf(),
    fromSource: runningFromSource(),
    nodes: nodes.map((node) => {
      const p = pathsOfNode(node.root);
      return { ...node, etcdEndpoint: clientUrlOf(node), apiServer: apiServerUrlOf(node), kubeconfig: p.kubeconfig, crictl: p.crictl };
    }),
    workers: workers.map((node) => {
      const p = pathsOfNode(node.root);
      return { ...node, kubeletConf: p.kubeletConf, crictl: p.crictl, kubeletRestart: p.kubeletRestart };
    }),
    pids: [],
    inventory: filesOfSandbox(dir).inventory,
  };
  await writeSandboxInfo(info);
  let deadline = Number.POSITIVE_INFINITY;
  let failed = false;
  try {
    progress(`laying out ${count} master(s) and ${workerCount} worker(s) in ${dir}`);
    await Promise.all([...nodes.map((node) => createNodeFolders(node, 'master')), ...workers.map((node) => createNodeFolders(node, 'worker'))]);
    const [etcdImageTag] = await Promise.all([etcdImageTagOf, generateSandboxPki(dir, nodes, workers)]);
    info.etcdImageTag = etcdImageTag;
    const manifestOptions = { etcdImageTag, caCertDirs: presentCaCertDirs(), storageMediaType };
    await Promise.all([writeInitialManifests(nodes, manifestOptions), ...everyNode.flatMap((node) => [writeCrictlWrapper(node), writeKubeletRestart(node)])]);
    if (sshPort !== undefined) {
      progress(`generating SSH host keys and the sandbox user key (sshd port ${sshPort})`);
      const ssh = await writeSandboxSshFiles(dir, everyNode, sshPort);
      info.sshAccess = ssh.access;
      allNodesOf(info).forEach((node, i) => (node.sshd = ssh.nodes[i]));
      await writeSandboxInfo(info);
    }
    await writeSandboxInventory(dir, nodes, workers, info.sshAccess);

    // Every kubelet starts now: the init master's runs its four static pods; a joining
    // master's runs its API server, controller-manager and scheduler until its etcd
    // member joins; a worker's has nothing to run.
    for (const node of allNodesOf(info)) {
      const pid = startRunner(node);
      node.runnerPid = pid;
      info.pids.push(pid);
      await writeSandboxInfo(info);
      progress(`${node.name} (${node.ip}): static-pod runner pid ${pid} (the node's kubelet)`);
    }
    if (info.sshAccess) await startSshds(info, progress);
    // timeoutMs bounds the waits for the cluster, once every kubelet runs.
    deadline = Date.now() + timeoutMs;

    progress(`waiting for etcd on ${nodes[0]!.name} (kubeadm init: a 1-member cluster; TLS, client-cert auth)`);
    const first = await waitForProbe(() => probeEtcdHealth(nodes[0]!), Math.max(0, deadline - Date.now()));
    if (!first.ok) throw notReady(nodes[0]!, 'etcd', 'etcd.log', first, timeoutMs);
    // As on a kubeadm cluster, the objects exist before any other master joins: their
    // members get them by replication.
    info.seeded = await seedClusterState(nodes[0]!, nodes, workers, storageMediaType, progress);
    const waitForApiServer = async (node: SandboxNode) => {
      // Polled by hand: once `up` has failed elsewhere it stops at once (no timer may keep the CLI alive).
      for (;;) {
        const result = await probeApiServerReady(node);
        if (result.ok || failed) return;
        if (Date.now() + 250 > deadline) throw notReady(node, 'the API server', 'kube-apiserver.log', result, timeoutMs);
        await sleep(250);
      }
    };
    // The init master's API server gets ready while the others join.
    const firstApiServer = waitForApiServer(nodes[0]!);
    // Awaited below with the others, where its error is reported; this only keeps an early rejection from being unhandled.
    firstApiServer.catch(() => undefined);
    if (nodes.length > 1)
      progress(
        `etcd on ${nodes[0]!.name} healthy; joining ${nodes
          .slice(1)
          .map((n) => n.name)
          .join(', ')} one by one (kubeadm join --control-plane)`,
      );
    await joinMasters(nodes, { ...manifestOptions, deadline, progress }).catch((error: unknown) => {
      if (error instanceof SandboxError && error.host) {
        const node = nodes.find((n) => n.name === error.host);
        if (node) throw notReady(node, 'etcd', 'etcd.log', { ok: false, detail: error.message }, timeoutMs);
      }
      throw error;
    });
    progress('waiting for the API servers (/readyz)');
    await Promise.all([firstApiServer, ...nodes.slice(1).map(waitForApiServer)]);
    info.status = 'running';
    await writeSandboxInfo(info);
    return info;
  } catch (error) {
    failed = true;
    // Leave the folder (its logs tell what went wrong) but no process behind.
    // Best-effort clean-up on the failure path: the error that made `up` fail is the one rethrown below,
    // and `sandbox down` stops whatever this could not.
    await stopSandboxProcesses(dir, info).catch(() => undefined);
    info.status = 'failed';
    await writeSandboxInfo(info).catch(() => undefined); // same: best-effort on the failure path
    if (error instanceof SandboxError) throw error;
    throw new SandboxError('step', `sandbox up in ${dir} failed: ${errorMessage(error)}`, { cause: error, hint: `\`drbook sandbox down --dir ${dir}\` removes what was created` });
  }
}
