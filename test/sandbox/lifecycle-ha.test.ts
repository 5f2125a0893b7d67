import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { sandboxDown, sandboxUp } from '../../src/sandbox/lifecycle.js';
import { isProcessAlive } from '../../src/system/process-alive.js';
import { crictl, etcdctlFor, useSandboxDir } from './support.js';

test('three nodes form one 3-member etcd cluster with exactly one leader', async (t) => {
  const sbx = await useSandboxDir(t);
  const info = await sandboxUp({ dir: sbx.dir, nodes: 3, ipPrefix: '127.0.62.' });
  info.pids.forEach(sbx.track);
  assert.deepEqual(info.nodes.map((n) => `${n.name}@${n.ip}`), ['node1@127.0.62.11', 'node2@127.0.62.12', 'node3@127.0.62.13']);
  assert.equal(new Set(info.pids).size, 3);

  const etcdctl = etcdctlFor(info.nodes[0]!.root, info.nodes[0]!.ip);
  const members = await etcdctl(['member', 'list', '-w', 'json']);
  assert.equal(members.exitCode, 0, members.stderr);
  const list = (JSON.parse(members.stdout) as { members: Array<{ name: string; peerURLs: string[] }> }).members;
  assert.deepEqual(list.map((m) => `${m.name} ${m.peerURLs.join(',')}`).sort(), [
    'node1 https://127.0.62.11:2380', 'node2 https://127.0.62.12:2380', 'node3 https://127.0.62.13:2380',
  ]);

  const everyNode = etcdctlFor(info.nodes[0]!.root, info.nodes.map((n) => n.ip));
  const status = await everyNode(['endpoint', 'status', '-w', 'json']);
  assert.equal(status.exitCode, 0, status.stderr);
  const rows = JSON.parse(status.stdout) as Array<{ Status: { header: { member_id: number; cluster_id: number }; leader: number } }>;
  assert.equal(rows.length, 3);
  const leaders = rows.filter((r) => String(r.Status.header.member_id) === String(r.Status.leader));
  assert.equal(leaders.length, 1, 'exactly one leader');
  assert.equal(new Set(rows.map((r) => String(r.Status.header.cluster_id))).size, 1, 'one cluster id');

  // Each node has its own crictl listing its own etcd.
  const pids: number[] = [];
  for (const node of info.nodes) {
    const { stdout } = await crictl(node.root, ['ps', '-o', 'json', '--name', '^etcd$']);
    const [etcd] = (JSON.parse(stdout) as { containers: Array<{ pid: number; labels: Record<string, string> }> }).containers;
    assert.equal(etcd?.labels['io.kubernetes.pod.name'], `etcd-${node.name}`);
    pids.push(etcd!.pid);
    sbx.track(etcd!.pid);
  }
  assert.equal(new Set(pids).size, 3);

  const report = await sandboxDown({ dir: sbx.dir });
  assert.deepEqual([...report.stoppedRunners].sort(), [...info.pids].sort());
  for (const pid of [...pids, ...info.pids]) assert.equal(isProcessAlive(pid), false);
  assert.equal(existsSync(sbx.dir), false);
});
