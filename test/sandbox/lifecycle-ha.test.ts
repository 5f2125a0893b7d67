// Three masters built as kubeadm builds them (init, then one `kubeadm join
// --control-plane` at a time) and two workers, on 127.0.62.11-13 and .21-22.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { manifestPath, pathsOfNode, sandboxDown, sandboxStatus, sandboxUp, readManifest } from '@drbook/sandbox';
import { quoteArg, isProcessAlive } from '@drbook/system';
import { crictl, etcdctlFor, useSandboxDir } from './support.js';

const flag = (argv: string[], name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

test('three masters join one etcd cluster one by one, as kubeadm does, with one leader; two workers run a kubelet each', async (t) => {
  const sbx = await useSandboxDir(t);
  const info = await sandboxUp({ dir: sbx.dir, nodes: 3, ipPrefix: '127.0.62.' });
  info.pids.forEach(sbx.track);
  assert.deepEqual(
    info.nodes.map((n) => `${n.name}@${n.ip}`),
    ['node1@127.0.62.11', 'node2@127.0.62.12', 'node3@127.0.62.13'],
  );
  assert.deepEqual(
    info.workers!.map((n) => `${n.name}@${n.ip}`),
    ['worker1@127.0.62.21', 'worker2@127.0.62.22'],
  );
  assert.equal(new Set(info.pids).size, 5, 'a kubelet per node, workers included');
  assert.deepEqual(
    [...info.nodes, ...info.workers!].map((n) => n.runnerPid),
    info.pids,
  );

  // The manifests' history: init lists itself (state new by default); each join the members
  // of its moment, itself included, with state existing.
  const clusters: string[][] = [];
  for (const node of info.nodes) {
    const argv = (await readManifest(manifestPath(node.root, 'etcd'))).argv;
    clusters.push(flag(argv, 'initial-cluster')!.split(',').sort());
    assert.equal(flag(argv, 'initial-cluster-state'), node.name === 'node1' ? undefined : 'existing', node.name);
  }
  const member = (i: number) => `node${i}=https://127.0.62.1${i}:2380`;
  assert.deepEqual(clusters, [[member(1)], [member(1), member(2)], [member(1), member(2), member(3)]]);

  const etcdctl = etcdctlFor(info.nodes[0]!.root, info.nodes[0]!.ip);
  const members = await etcdctl(['member', 'list', '-w', 'json']);
  assert.equal(members.exitCode, 0, members.stderr);
  const list = (JSON.parse(members.stdout) as { members: Array<{ name: string; peerURLs: string[]; isLearner?: boolean }> }).members;
  assert.deepEqual(list.map((m) => `${m.name} ${m.peerURLs.join(',')}`).sort(), ['node1 https://127.0.62.11:2380', 'node2 https://127.0.62.12:2380', 'node3 https://127.0.62.13:2380']);
  assert.ok(
    list.every((m) => !m.isLearner),
    'every learner was promoted',
  );

  const everyNode = etcdctlFor(
    info.nodes[0]!.root,
    info.nodes.map((n) => n.ip),
  );
  const status = await everyNode(['endpoint', 'status', '-w', 'json']);
  assert.equal(status.exitCode, 0, status.stderr);
  const rows = JSON.parse(status.stdout) as Array<{ Status: { header: { member_id: number; cluster_id: number }; leader: number } }>;
  assert.equal(rows.length, 3);
  const leaders = rows.filter((r) => String(r.Status.header.member_id) === String(r.Status.leader));
  assert.equal(leaders.length, 1, 'exactly one leader');
  assert.equal(new Set(rows.map((r) => String(r.Status.header.cluster_id))).size, 1, 'one cluster id');

  // Each master has its own crictl listing its own etcd; a worker's kubelet runs nothing.
  const pids: number[] = [];
  for (const node of info.nodes) {
    const { stdout } = await crictl(node.root, ['ps', '-o', 'json', '--name', '^etcd$']);
    const [etcd] = (JSON.parse(stdout) as { containers: Array<{ pid: number; labels: Record<string, string> }> }).containers;
    assert.equal(etcd?.labels['io.kubernetes.pod.name'], `etcd-${node.name}`);
    pids.push(etcd!.pid);
    sbx.track(etcd!.pid);
  }
  assert.equal(new Set(pids).size, 3);
  for (const worker of info.workers!) {
    const ps = await crictl(worker.root, ['ps', '-q']);
    assert.equal(ps.exitCode, 0, ps.stderr);
    assert.equal(ps.stdout.trim(), '', `${worker.name} runs no container`);
    const kubelet = JSON.parse(await readFile(pathsOfNode(worker.root).kubeletStateFile, 'utf8'));
    assert.equal(kubelet.pid, worker.runnerPid);
    assert.equal(kubelet.restarts, 0);
  }
  const inventory = parse(await readFile(info.inventory, 'utf8'));
  assert.deepEqual(inventory.groups, { masters: { hosts: ['node1', 'node2', 'node3'] }, workers: { hosts: ['worker1', 'worker2'] } });
  assert.equal(inventory.hosts.worker1.vars.kubeletRestart, quoteArg(pathsOfNode(info.workers![0]!.root).kubeletRestart));
  assert.equal(inventory.hosts.worker1.vars.dataDir, undefined, 'a worker has no etcd');

  const up = await sandboxStatus({ dir: sbx.dir });
  assert.equal(up.healthy, true);
  assert.deepEqual(
    up.nodes.map((n) => `${n.name} ${n.role} ${n.runner.alive} ${n.etcd?.ok ?? '-'}`),
    ['node1 master true true', 'node2 master true true', 'node3 master true true', 'worker1 worker true -', 'worker2 worker true -'],
  );

  const report = await sandboxDown({ dir: sbx.dir });
  assert.deepEqual([...report.stoppedRunners].sort(), [...info.pids].sort());
  for (const pid of [...pids, ...info.pids]) assert.equal(isProcessAlive(pid), false);
  assert.equal(existsSync(sbx.dir), false);
});
