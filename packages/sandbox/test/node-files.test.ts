import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathsOfNode, planNodes, planWorkers } from '../src/layout.js';
import { buildSandboxInventory, writeKubeletRestart } from '../src/node-files.js';
import { quoteArg } from '@drbook/system';

test('the inventory: masters and workers as groups, every node the same kubelet vars, the etcd and kubeadm vars on masters only', () => {
  const masters = planNodes('/sbx dir', 2, '127.0.100.');
  const workers = planWorkers('/sbx dir', 2, '127.0.100.');
  const inventory = buildSandboxInventory(masters, workers) as { hosts: Record<string, { connection: string; vars: Record<string, string> }>; groups: Record<string, { hosts: string[] }> };
  assert.deepEqual(inventory.groups, { masters: { hosts: ['node1', 'node2'] }, workers: { hosts: ['worker1', 'worker2'] } });
  for (const node of [...masters, ...workers]) {
    const p = pathsOfNode(node.root);
    const vars = inventory.hosts[node.name]!.vars;
    assert.equal(inventory.hosts[node.name]!.connection, 'local');
    assert.equal(vars.kubeletRestart, quoteArg(p.kubeletRestart), `${node.name}: the path is quoted (the sandbox folder has a space)`);
    assert.equal(vars.kubeletState, p.kubeletStateFile);
    assert.equal(vars.crictl, p.crictl);
    assert.equal(vars.manifestsDir, p.manifestsDir);
  }
  assert.equal(inventory.hosts.node2!.vars.etcdEndpoint, 'https://127.0.100.12:2379');
  assert.equal(inventory.hosts.node2!.vars.dataDir, pathsOfNode(masters[1]!.root).dataDir);
  for (const name of ['worker1', 'worker2']) {
    for (const key of ['dataDir', 'etcdEndpoint', 'kubeconfig', 'pkiDir', 'stashDir', 'apiServer']) assert.equal(inventory.hosts[name]!.vars[key], undefined, `${name} has no ${key}`);
  }
  assert.deepEqual(Object.keys((buildSandboxInventory(masters, []) as { groups: object }).groups), ['masters'], 'no empty workers group');
});

test('bin/kubelet-restart is an executable script naming its node, its pid file and its state file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-node-files-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [worker] = planWorkers(dir, 1, '127.0.100.');
  const p = pathsOfNode(worker!.root);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(p.binDir, { recursive: true });
  const file = await writeKubeletRestart(worker!);
  assert.equal(file, p.kubeletRestart);
  assert.equal((await stat(file)).mode & 0o777, 0o755);
  const script = await readFile(file, 'utf8');
  assert.match(script, /^#!\/bin\/sh\n# "systemctl restart kubelet" of sandbox node worker1/);
  assert.ok(script.includes(`state=${quoteArg(p.kubeletStateFile)}`));
  assert.ok(script.includes(`pidfile=${quoteArg(join(p.runDir, 'runner.pid'))}`));
  assert.match(script, /kill -HUP "\$pid"/);
});
