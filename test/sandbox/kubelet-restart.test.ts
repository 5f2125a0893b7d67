// "Restart the kubelet" on the sandbox, as a runbook does it: the inventory's
// kubeletRestart var, run by a shell, on a master and on a worker (127.0.100.11 and .21).
// As with a real kubelet, the static pods keep running — the API server answers at once —
// and the restart is counted on the node, where a check can read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { parse } from 'yaml';
import { probeApiServerReady, pathsOfNode, sandboxStatus, sandboxUp } from '@drbook/sandbox';
import { isProcessAlive } from '@drbook/system';
import { crictl, useSandboxDir } from './support.js';

const PREFIX = '127.0.100.';

async function containers(root: string): Promise<Record<string, number>> {
  const { stdout } = await crictl(root, ['ps', '-o', 'json']);
  const list = (JSON.parse(stdout) as { containers: Array<{ pid: number; metadata: { name: string } }> }).containers;
  return Object.fromEntries(list.map((c) => [c.metadata.name, c.pid]));
}

test("kubeletRestart restarts a node's kubelet and waits for it; the static pods keep running; the restart is counted on the node", async (t) => {
  const sbx = await useSandboxDir(t);
  const info = await sandboxUp({ dir: sbx.dir, nodes: 1, workers: 1, ipPrefix: PREFIX });
  info.pids.forEach(sbx.track);
  const master = info.nodes[0]!;
  const worker = info.workers![0]!;
  const inventory = parse(await readFile(info.inventory, 'utf8')) as { hosts: Record<string, { vars: Record<string, string> }> };
  assert.ok(inventory.hosts.worker1!.vars.kubeletRestart, 'every node, workers too, has kubeletRestart');

  const before = await containers(master.root);
  assert.deepEqual(Object.keys(before).sort(), ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
  Object.values(before).forEach(sbx.track);

  const restart = await execa('sh', ['-c', inventory.hosts.node1!.vars.kubeletRestart!], { reject: false });
  assert.equal(restart.exitCode, 0, restart.stderr);
  assert.match(restart.stdout, /kubelet of node1 restarted \(restart 1\)/);
  // Counted before the command returned, and the API server never went away.
  const state = JSON.parse(await readFile(inventory.hosts.node1!.vars.kubeletState!, 'utf8'));
  assert.equal(state.restarts, 1);
  assert.equal(state.pid, master.runnerPid);
  assert.ok(Date.parse(state.lastRestartAt) > Date.parse(state.startedAt));
  assert.equal((await probeApiServerReady(master)).ok, true, 'the API server answers right after the kubelet restart');
  assert.deepEqual(await containers(master.root), before, 'the same containers, the same PIDs');
  for (const pid of Object.values(before)) assert.ok(isProcessAlive(pid));

  const onWorker = await execa('sh', ['-c', inventory.hosts.worker1!.vars.kubeletRestart!], { reject: false });
  assert.equal(onWorker.exitCode, 0, onWorker.stderr);
  assert.match(onWorker.stdout, /kubelet of worker1 restarted \(restart 1\)/);
  const again = await execa('sh', ['-c', inventory.hosts.worker1!.vars.kubeletRestart!], { reject: false });
  assert.match(again.stdout, /restart 2\)/);

  const status = await sandboxStatus({ dir: sbx.dir });
  assert.deepEqual(
    status.nodes.map((n) => `${n.name} ${n.kubelet?.restarts}`),
    ['node1 1', 'worker1 2'],
  );

  // A kubelet that is not running cannot be restarted: said, non-zero.
  process.kill(worker.runnerPid!, 'SIGKILL');
  for (let i = 0; i < 50 && isProcessAlive(worker.runnerPid!); i++) await new Promise((r) => setTimeout(r, 50));
  const dead = await execa(pathsOfNode(worker.root).kubeletRestart, [], { reject: false });
  assert.notEqual(dead.exitCode, 0);
  assert.match(dead.stderr, /kubelet-restart: (pid \d+ in .* is not the kubelet of worker1|the kubelet of worker1 is not running)/);
});
