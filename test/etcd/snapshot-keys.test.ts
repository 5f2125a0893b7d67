import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withEtcdClient } from '../../src/etcd/client.js';
import { BoltReader } from '../../src/etcd/bbolt.js';
import { readSnapshotKeys } from '../../src/etcd/snapshot-keys.js';
import { readSnapshotNodes } from '../../src/actions/k8s/snapshot-nodes.js';
import { compareRegistryCounts, countRegistryKeys, resourceOfKey } from '../../src/etcd/registry-counts.js';
import { cleanups, etcdctl } from './helpers/etcd-server.js';

test('resourceOfKey keeps API groups and service kinds', () => {
  assert.equal(resourceOfKey('/registry/pods/default/web-1'), 'pods');
  assert.equal(resourceOfKey('/registry/minions/node1'), 'minions');
  assert.equal(resourceOfKey('/registry/apiregistration.k8s.io/apiservices/v1.apps'), 'apiregistration.k8s.io/apiservices');
  assert.equal(resourceOfKey('/registry/services/specs/default/kubernetes'), 'services/specs');
  assert.equal(resourceOfKey('/other/x'), null);
});

test('compareRegistryCounts: exact, no-loss, and volatile resources ignored', () => {
  const snap = countRegistryKeys(['/registry/pods/a/1', '/registry/pods/a/2', '/registry/events/a/e1', '/registry/namespaces/a']);
  const now = countRegistryKeys(['/registry/pods/a/1', '/registry/namespaces/a', '/registry/namespaces/b']);
  assert.deepEqual(compareRegistryCounts(snap, now, { mode: 'exact' }), [
    { resource: 'namespaces', expected: 1, actual: 2 },
    { resource: 'pods', expected: 2, actual: 1 },
  ]);
  assert.deepEqual(compareRegistryCounts(snap, now, { mode: 'no-loss' }), [{ resource: 'pods', expected: 2, actual: 1 }]);
  assert.equal(compareRegistryCounts(snap, snap, { mode: 'exact' }).length, 0);
});

test('the bbolt reader finds exactly the live keys of a real etcd snapshot (branch and overflow pages, deletes, compaction)', async (t) => {
  const c = cleanups(t);
  const dir = await c.tempDir();
  const etcd = await c.etcd({ dataDir: join(dir, 'data') });
  await withEtcdClient({ endpoints: [etcd.endpoint] }, async (client) => {
    // Enough keys for a multi-level B+tree, in parallel batches.
    const keys = Array.from({ length: 2500 }, (_, i) => `/registry/configmaps/ns${i % 7}/cm-${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 250) await Promise.all(keys.slice(i, i + 250).map((k) => client.put(k).value(`v-${k}`)));
    await client.put('/registry/secrets/kube-system/big').value('x'.repeat(20_000)); // spans several pages
    await client.put('/registry/pods/default/gone').value('1');
    await client.put('/registry/pods/default/kept').value('1');
    await client.put('/registry/pods/default/kept').value('2'); // a second revision of one key
    await client.delete().key('/registry/pods/default/gone');
    await client.put('outside/key').value('1');
    for (let i = 0; i < 50; i++) await client.delete().key(keys[i * 7]!);
  });
  const snapshot = join(dir, 'snap.db');
  await etcdctl(etcd, 'compaction', '2000');
  await etcdctl(etcd, 'snapshot', 'save', snapshot);
  const expected = (await etcdctl(etcd, 'get', '', '--prefix', '--keys-only')).stdout.split('\n').filter(Boolean).sort();

  const data = await readFile(snapshot);
  const reader = new BoltReader(data);
  assert.ok(reader.bucketNames().includes('key'));
  const { keys, revision } = readSnapshotKeys(data);
  assert.deepEqual([...keys].sort(), expected);
  const status = JSON.parse((await etcdctl(etcd, '--write-out', 'json', 'endpoint', 'status')).stdout)[0].Status;
  assert.equal(revision, Number(status.header.revision));
  const counts = countRegistryKeys(keys);
  assert.equal(counts.resources.configmaps, 2450);
  assert.equal(counts.resources.pods, 1);
  assert.equal(counts.resources.secrets, 1);
  assert.equal(counts.outside, 1);

  // A damaged meta page is refused with a clear message rather than misread.
  const broken = Buffer.from(data);
  broken.fill(0, 0, 8192);
  await writeFile(join(dir, 'broken.db'), broken);
  assert.throws(() => readSnapshotKeys(broken), /not a readable bbolt database: no valid meta page/);
});

test('the KeyValue decoder gives key and value of a real snapshot: the Nodes that carry the control-plane label, deleted ones gone', async (t) => {
  const c = cleanups(t);
  const dir = await c.tempDir();
  const etcd = await c.etcd({ dataDir: join(dir, 'data') });
  const label = (role: string) => JSON.stringify({ kind: 'Node', metadata: { labels: { [role]: '' } } });
  await withEtcdClient({ endpoints: [etcd.endpoint] }, async (client) => {
    await client.put('/registry/minions/cp1').value(label('node-role.kubernetes.io/control-plane'));
    await client.put('/registry/minions/old-master').value(label('node-role.kubernetes.io/master'));
    await client.put('/registry/minions/worker1').value(label('kubernetes.io/os'));
    await client.put('/registry/minions/cp-gone').value(label('node-role.kubernetes.io/control-plane'));
    await client.delete().key('/registry/minions/cp-gone');
    // A label outside a Node's value is not a Node's.
    await client.put('/registry/configmaps/default/x').value('node-role.kubernetes.io/control-plane');
  });
  const snapshot = join(dir, 'snap.db');
  await etcdctl(etcd, 'snapshot', 'save', snapshot);
  const nodes = readSnapshotNodes(await readFile(snapshot));
  assert.deepEqual([...nodes.controlPlane].sort(), ['cp1', 'old-master']);
  assert.ok(nodes.keys.has('/registry/minions/worker1'));
  assert.equal(nodes.keys.has('/registry/minions/cp-gone'), false);
  assert.ok(nodes.keys.has('/registry/configmaps/default/x'));
});
