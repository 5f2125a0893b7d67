import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countKeys, buildSeedEntries, openEtcdClient, SandboxInputError } from '@drbook/sandbox';
import { countRegistryKeys, resourceOfKey } from '../../../src/etcd/registry-counts.js';

test('resourceOfKey maps registry keys to resources as Kubernetes lays them out', () => {
  assert.equal(resourceOfKey('/registry/pods/kube-system/etcd-node1'), 'pods');
  assert.equal(resourceOfKey('/registry/minions/node1'), 'minions');
  assert.equal(resourceOfKey('/registry/services/specs/default/kubernetes'), 'services/specs');
  assert.equal(resourceOfKey('/registry/services/endpoints/default/kubernetes'), 'services/endpoints');
  assert.equal(resourceOfKey('/registry/apiregistration.k8s.io/apiservices/v1.apps'), 'apiregistration.k8s.io/apiservices');
  assert.equal(resourceOfKey('/other/pods/x'), null);
  assert.equal(resourceOfKey('/registryx/pods/x'), null);
  assert.equal(resourceOfKey('/k8s/pods/a/b', '/k8s/'), 'pods');
});

test('countKeys counts per resource, sorted by name', () => {
  const counts = countKeys(['/registry/pods/a/x', '/registry/pods/b/y', '/registry/services/specs/a/s', '/registry/minions/n', '/elsewhere/z']);
  assert.deepEqual(counts, { minions: 1, pods: 2, 'services/specs': 1 });
  assert.deepEqual(Object.keys(counts), ['minions', 'pods', 'services/specs']);
});

test('the sandbox counts keys per resource exactly as the restore check does (its own code, held to the same names)', () => {
  const seeded = buildSeedEntries({ nodes: ['node1', 'node2', 'node3'] }).map((entry) => `/registry/${entry.key}`);
  const keys = [...seeded, '/registry/apiregistration.k8s.io/apiservices/v1.apps', '/registry/services/endpoints/default/kubernetes', '/registry/ranges/serviceips', '/elsewhere/x'];
  assert.deepEqual(countKeys(keys), countRegistryKeys(keys).resources);
  assert.deepEqual(countKeys(keys, '/registry/'), countRegistryKeys(keys, '/registry/').resources);
});

test('the seeded cluster has the objects the brief lists, shaped like API objects', () => {
  const entries = buildSeedEntries({ nodes: ['node1', 'node2', 'node3'], now: new Date('2026-01-02T03:04:05.678Z') });
  const counts = countKeys(entries.map((entry) => `/registry/${entry.key}`));
  assert.equal(counts.namespaces, 5);
  assert.equal(counts.minions, 5); // 3 control-plane + 2 workers
  // 4 static pods per control-plane node, kube-proxy per node, coredns x2, web x3
  assert.equal(counts.pods, 4 * 3 + 5 + 2 + 3);
  assert.equal(counts.deployments, 2);
  assert.equal(counts['services/specs'], 3);
  assert.ok(counts.configmaps! >= 5 && counts.secrets! >= 2 && counts.clusterroles! >= 4);
  const keys = new Set(entries.map((entry) => entry.key));
  assert.equal(keys.size, entries.length, 'keys are unique');
  for (const entry of entries) {
    assert.ok(entry.object.apiVersion && entry.object.kind, entry.key);
    assert.equal(entry.object.metadata.creationTimestamp, '2026-01-02T03:04:05Z');
    assert.match(entry.object.metadata.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal('resourceVersion' in entry.object.metadata, false);
    const [, namespace] = entry.key.replace('services/specs/', 'services/').split('/');
    if (entry.key.split('/').length > 2) assert.equal(entry.object.metadata.namespace, namespace, entry.key);
  }
  const node2 = entries.find((entry) => entry.key === 'minions/node2')!.object as any;
  assert.equal(node2.metadata.labels['node-role.kubernetes.io/control-plane'], '');
  assert.equal(node2.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
  const etcdPod = entries.find((entry) => entry.key === 'pods/kube-system/etcd-node3')!.object as any;
  assert.equal(etcdPod.spec.nodeName, 'node3');
  assert.equal(etcdPod.status.phase, 'Running');
  const secret = entries.find((entry) => entry.key === 'secrets/demo/web-credentials')!.object as any;
  assert.equal(Buffer.from(secret.data.username, 'base64').toString(), 'web');
  // Stable across calls (only creationTimestamp follows the clock).
  const again = buildSeedEntries({ nodes: ['node1', 'node2', 'node3'] });
  assert.deepEqual(
    again.map((e) => e.key),
    entries.map((e) => e.key),
  );
  assert.deepEqual(
    again.map((e) => e.object.metadata.uid),
    entries.map((e) => e.object.metadata.uid),
  );
});

test('seeding refuses clashing node names; the client refuses a TLS endpoint without a readable CA', () => {
  assert.throws(() => buildSeedEntries({ nodes: ['node1', 'node1'] }), SandboxInputError);
  assert.throws(() => buildSeedEntries({ nodes: ['worker1'] }), /worker1/);
  assert.throws(() => buildSeedEntries({ nodes: [] }), SandboxInputError);
  assert.throws(() => openEtcdClient({ endpoints: ['https://127.0.0.1:2379'] }), /no CA file/);
  assert.throws(() => openEtcdClient({ endpoints: ['https://127.0.0.1:2379'], caFile: '/nonexistent/ca.crt' }), /cannot read the CA certificate \/nonexistent\/ca.crt: ENOENT/);
});
