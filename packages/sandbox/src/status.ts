// `sandbox status`: what each node (masters and workers) runs now, read from the hosts'
// own records and probes — its kubelet (runner) alive or not and its restarts, its
// containers as they really are (a "running" record whose process is gone is exited), etcd's
// health on a master, its sshd with --ssh — never from what `up` once wrote alone.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { allNodesOf, readSandboxInfo, type SandboxInfo } from './info.js';
import { probeEtcdHealth, type ProbeResult } from './health.js';
import { pathsOfNode } from './layout.js';
import { isProcessAlive } from '@drbook/system';
import { readKubeletState, type KubeletState } from './runner/kubelet-state.js';
import { readLiveRunnerPid } from './runner/pid-file.js';
import { liveState, readContainersState } from './runner/state.js';
import { sshdAlive } from './ssh/servers.js';

export interface NodeStatus {
  name: string;
  ip: string;
  root: string;
  role: 'master' | 'worker';
  runner: { pid?: number; alive: boolean };
  /** The kubelet stand-in's own record: start and restarts (run/kubelet.json). */
  kubelet?: KubeletState;
  containers: Array<{ name: string; podName: string; state: 'running' | 'exited'; pid: number; attempt: number; createdAt: string }>;
  /** Masters only. */
  etcd?: ProbeResult;
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
  /** Every runner (and sshd, when ssh) alive, masters' and workers', and etcd healthy on every master. */
  healthy: boolean;
  nodes: NodeStatus[];
}

export async function sandboxStatus(options: { dir: string }): Promise<SandboxStatus> {
  const dir = resolve(options.dir);
  const info = await readSandboxInfo(dir);
  if (!info) return { dir, exists: existsSync(dir), healthy: false, nodes: [] };
  const masters = new Set(info.nodes.map((node) => node.name));
  const nodes = await Promise.all(
    allNodesOf(info).map(async (node): Promise<NodeStatus> => {
      const p = pathsOfNode(node.root);
      const role = masters.has(node.name) ? 'master' : 'worker';
      const pid = readLiveRunnerPid(node.root);
      // A node whose runner never wrote its state has no containers to show (status reports the runner as down).
      const records = await readContainersState(p.containersFile).catch(() => undefined);
      const containers = (records ?? []).map((r) => ({ name: r.name, podName: r.podName, state: liveState(r), pid: r.pid, attempt: r.attempt, createdAt: r.createdAt }));
      const kubelet = await readKubeletState(p.kubeletStateFile);
      const etcd = role === 'master' ? await probeEtcdHealth(node) : undefined;
      const sshd = node.sshd && { address: node.sshd.address, port: node.sshd.port, pid: node.sshd.pid, alive: sshdAlive(node.sshd) };
      return {
        name: node.name,
        ip: node.ip,
        root: node.root,
        role,
        runner: { pid: pid ?? node.runnerPid, alive: pid !== undefined && isProcessAlive(pid) },
        ...(kubelet ? { kubelet } : {}),
        containers,
        ...(etcd ? { etcd } : {}),
        ...(sshd ? { sshd } : {}),
      };
    }),
  );
  return {
    dir,
    exists: true,
    status: info.status,
    createdAt: info.createdAt,
    inventory: info.inventory,
    ssh: info.ssh,
    healthy: nodes.every((n) => n.runner.alive && (n.role === 'worker' || n.etcd?.ok === true) && (!info.ssh || n.sshd?.alive === true)),
    nodes,
  };
}
