// <dir>/sandbox.json: what `sandbox up` created and started. It is written first (before
// any process starts) and updated as runners start, so `sandbox down` can always find
// what to stop, even after an `up` that crashed half-way.

import { readFile, rename, writeFile } from 'node:fs/promises';
import { SandboxInputError } from './errors.js';
import { filesOfSandbox, type SandboxNode } from './layout.js';
import type { NodeSshdInfo, SandboxSshAccess } from './ssh/files.js';

/** A worker: a kubeadm-joined node with only a kubelet (its runner, manifests folder empty). */
export interface SandboxWorkerInfo extends SandboxNode {
  runnerPid?: number;
  /** Its kubelet.conf (a worker has no admin.conf). */
  kubeletConf: string;
  crictl: string;
  kubeletRestart: string;
  sshd?: NodeSshdInfo;
}

export interface SandboxNodeInfo extends SandboxNode {
  /** PID of the node's static-pod runner, once started. */
  runnerPid?: number;
  etcdEndpoint: string;
  apiServer: string;
  kubeconfig: string;
  crictl: string;
  /** The node's own OpenSSH server (sandboxes made with --ssh). */
  sshd?: NodeSshdInfo;
}

export interface SandboxInfo {
  version: 1;
  dir: string;
  /** creating: `up` is under way (or crashed during it); failed: `up` gave up, logs kept. */
  status: 'creating' | 'running' | 'failed';
  createdAt: string;
  ipPrefix: string;
  /** True when every node is reached over SSH (its own sshd); false: nodes are local hosts. */
  ssh: boolean;
  /** User, port, key and known_hosts that log in to every node (when ssh). */
  sshAccess?: SandboxSshAccess;
  /** The folder of the sandbox code its processes run (the package's dist/src, or its src under tsx). */
  codeDir: string;
  /** True when the sandbox runs its TypeScript sources through tsx (tests), not dist/. */
  fromSource: boolean;
  /** The masters (control-plane nodes), the first one being where `kubeadm init` ran. */
  nodes: SandboxNodeInfo[];
  /** The workers (absent in a sandbox.json written before workers existed). */
  workers?: SandboxWorkerInfo[];
  /** Every runner PID `up` started, masters' and workers' (the runners track their containers; sshd PIDs are under nodes[].sshd and workers[].sshd). */
  pids: number[];
  inventory: string;
  /** The etcd image tag the manifests carry (the tag of the etcd binary in use). */
  etcdImageTag?: string;
  /** Summary of the seeded cluster state, when the seeding module ran. */
  seeded?: { totalKeys: number; nodes: string[]; storageMediaType?: string };
}

/** Masters then workers: every node that has a runner (and, with --ssh, an sshd). */
export function allNodesOf(info: Pick<SandboxInfo, 'nodes' | 'workers'>): Array<SandboxNodeInfo | SandboxWorkerInfo> {
  return [...info.nodes, ...(info.workers ?? [])];
}

export async function writeSandboxInfo(info: SandboxInfo): Promise<void> {
  const file = filesOfSandbox(info.dir).info;
  await writeFile(`${file}.tmp`, JSON.stringify(info, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
}

/** undefined when there is no sandbox.json; an SandboxInputError when it is not readable JSON. */
export async function readSandboxInfo(dir: string): Promise<SandboxInfo | undefined> {
  const file = filesOfSandbox(dir).info;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SandboxInputError([{ file, message: `cannot read: ${(error as Error).message}` }]);
  }
  try {
    const info = JSON.parse(text) as SandboxInfo;
    if (!Array.isArray(info.nodes)) throw new Error('no nodes list');
    return info;
  } catch (error) {
    throw new SandboxInputError([{ file, message: `not a sandbox description (${(error as Error).message})` }]);
  }
}
