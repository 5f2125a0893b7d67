// Starting a sandbox's long-lived processes: one static-pod runner (the node's kubelet)
// per node, masters and workers, and with --ssh one OpenSSH server per node. Both are
// detached: they outlive `drbook sandbox up`, as a kubelet and an sshd outlive kubeadm.

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxError } from './errors.js';
import { allNodesOf, writeSandboxInfo, type SandboxInfo } from './info.js';
import { commandOfEntry, type SandboxNode } from './layout.js';
import { startNodeSshd } from './ssh/servers.js';

/** Starts the node's runner; returns its PID (its output goes to <node>/var/log/runner.log). */
export function startRunner(node: SandboxNode): number {
  const [program, ...args] = commandOfEntry('runner/main');
  const log = openSync(join(node.root, 'var', 'log', 'runner.log'), 'a');
  try {
    // Detached: the runner outlives `drbook sandbox up`, like a kubelet outlives kubeadm.
    const child = spawn(program!, [...args, '--node-dir', node.root], { detached: true, stdio: ['ignore', log, log] });
    if (child.pid === undefined) throw new SandboxError('internal', `cannot start the static-pod runner of ${node.name} (${program})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/**
 * Every node's sshd, in parallel; their PIDs go to sandbox.json once all listen. An `up`
 * killed before that is still cleaned by `down`, which also finds each sshd by the pid
 * file sshd writes and by the socket it listens on (ssh/servers.ts).
 */
export async function startSshds(info: SandboxInfo, progress: (message: string) => void): Promise<void> {
  const failures: unknown[] = [];
  await Promise.all(
    allNodesOf(info).map(async (node) => {
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
