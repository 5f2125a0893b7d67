import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEtcd } from '../../support/etcd.js';
import { openEtcdClient, buildSeedEntries, countRegistryKeys, seedClusterState, countKeys, decodeStoredObject } from '@drbook/sandbox';

test('seedClusterState writes the cluster as protobuf (k8s\\0 envelope) under /registry over TLS, and countRegistryKeys counts it', async (t) => {
  const etcd = await startTestEtcd({ tls: true });
  t.after(() => etcd.stop());
  const access = { endpoints: [etcd.endpoint], caFile: etcd.caFile, certFile: etcd.certFile, keyFile: etcd.keyFile };
  const client = openEtcdClient(access);
  t.after(() => client.close());
  // A key outside the prefix must not be counted.
  await client.put('/other/thing').value('x');

  const summary = await seedClusterState({ ...access, nodes: ['node1'], nodeIps: { node1: '127.0.0.11' } });
  const expected = countKeys(buildSeedEntries({ nodes: ['node1'] }).map((entry) => `/registry/${entry.key}`));
  assert.equal(
    summary.written,
    Object.values(expected).reduce((a, b) => a + b, 0),
  );
  assert.deepEqual(summary.counts, expected);
  assert.equal(summary.totalKeys, summary.written);
  assert.deepEqual(summary.nodes, ['node1', 'worker1', 'worker2']);
  assert.equal(summary.storageMediaType, 'application/vnd.kubernetes.protobuf');
  // One revision per object, as the API server writes them (+1 for /other/thing).
  assert.equal(summary.revision, 1 + 1 + summary.written);

  assert.deepEqual(await countRegistryKeys(client), expected);
  const value = (await client.get('/registry/minions/node1').buffer())!;
  assert.deepEqual([...value.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00], "the k8s\\0 magic of a real API server's protobuf");
  const node = decodeStoredObject(value) as any;
  assert.equal(node.kind, 'Node');
  assert.deepEqual(node.status.addresses[0], { type: 'InternalIP', address: '127.0.0.11' });
  assert.equal(node.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');
  const pods = await client.getAll().prefix('/registry/pods/').keys();
  assert.ok(pods.includes('/registry/pods/kube-system/kube-apiserver-node1'), pods.join('\n'));
  assert.equal(pods.filter((key) => key.startsWith('/registry/pods/demo/web-')).length, 3);
  assert.ok(await client.get('/registry/services/specs/default/kubernetes').string());

  // Seeding again overwrites the same keys: the counts do not grow.
  const again = await seedClusterState({ ...access, nodes: ['node1'] });
  assert.deepEqual(again.counts, expected);
  assert.ok(again.revision > summary.revision);
});

test('JSON mode stores what an API server with --storage-media-type=application/json stores; workers are as given', async (t) => {
  const etcd = await startTestEtcd({ ip: '127.0.110.21', tls: false });
  t.after(() => etcd.stop());
  const workers = [{ name: 'w-a', ip: '10.9.0.1' }];
  const summary = await seedClusterState({ endpoints: [etcd.endpoint], nodes: ['cp'], workers, storageMediaType: 'application/json' });
  assert.equal(summary.storageMediaType, 'application/json');
  assert.deepEqual(summary.nodes, ['cp', 'w-a']);
  const client = openEtcdClient({ endpoints: [etcd.endpoint] });
  t.after(() => client.close());
  const text = (await client.get('/registry/minions/w-a').string())!;
  assert.match(text, /^\{"kind":"Node","apiVersion":"v1","metadata":\{"name":"w-a",/);
  assert.ok(text.endsWith('}\n'), "Go's JSON encoder ends the value with a newline");
  assert.equal(JSON.parse(text).status.addresses[0].address, '10.9.0.1');
  assert.equal(await client.get('/registry/minions/worker1').string(), null, 'no default workers when workers are given');
});

test('a custom --etcd-prefix is honoured', async (t) => {
  const etcd = await startTestEtcd({ tls: false });
  t.after(() => etcd.stop());
  const summary = await seedClusterState({ endpoints: [etcd.endpoint], nodes: ['cp'], prefix: '/k8s/' });
  const client = openEtcdClient({ endpoints: [etcd.endpoint] });
  t.after(() => client.close());
  assert.deepEqual(await countRegistryKeys(client), {});
  assert.deepEqual(await countRegistryKeys(client, '/k8s'), summary.counts);
  assert.equal(summary.counts.minions, 3);
});
