// Every seeded object as the sandbox stores it: the protobuf a real API server would write
// (decoding it gives back exactly the object, so nothing is lost on the way to etcd and
// the sandbox API server serves what was seeded), the same bytes on every seeding, and
// the JSON of --storage-media-type=application/json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSeedEntries } from '../../src/cluster-state/seed.js';
import { decodeStoredObject, encodeStoredObject } from '../../src/cluster-state/protobuf/storage-value.js';

const now = new Date('2026-11-23T09:20:09Z');
const options = {
  nodes: ['node1', 'node2', 'node3'],
  workers: [
    { name: 'w1', ip: '10.0.1.11' },
    { name: 'w2', ip: '10.0.1.12' },
  ],
  now,
};

test('every seeded object round-trips through protobuf and JSON unchanged', () => {
  const entries = buildSeedEntries(options);
  const kinds = new Set<string>();
  for (const { key, object } of entries) {
    kinds.add(object.kind);
    const protobuf = encodeStoredObject(object, 'application/vnd.kubernetes.protobuf');
    assert.equal(protobuf.subarray(0, 4).toString('latin1'), 'k8s\0', key);
    assert.deepEqual(decodeStoredObject(protobuf), object, key);
    assert.deepEqual(decodeStoredObject(encodeStoredObject(object, 'application/json')), object, key);
  }
  assert.deepEqual([...kinds].sort(), ['ClusterRole', 'ConfigMap', 'DaemonSet', 'Deployment', 'Namespace', 'Node', 'Pod', 'ReplicaSet', 'Secret', 'Service']);
});

test('seeding is deterministic: the same names, uids and bytes for the same nodes and time', () => {
  const bytes = () => buildSeedEntries(options).map(({ key, object }) => `${key}=${encodeStoredObject(object, 'application/vnd.kubernetes.protobuf').toString('hex')}`);
  assert.deepEqual(bytes(), bytes());
  const pods = buildSeedEntries(options).filter((entry) => entry.key.startsWith('pods/demo/'));
  assert.deepEqual(
    pods.map((p) => (p.object.spec as { nodeName: string }).nodeName),
    ['w1', 'w2', 'w1'],
    'the web pods run on the given workers',
  );
  const status = pods[0]!.object.status as { containerStatuses: Array<{ imageID: string; containerID: string }> };
  assert.match(status.containerStatuses[0]!.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
  assert.match(status.containerStatuses[0]!.containerID, /^containerd:\/\/[0-9a-f]{64}$/);
});

test('worker names must differ from each other and from the control plane', () => {
  assert.throws(() => buildSeedEntries({ nodes: ['node1'], workers: [{ name: 'node1', ip: '10.0.1.1' }] }), /node name node1 is given twice/);
  assert.throws(
    () =>
      buildSeedEntries({
        nodes: ['node1'],
        workers: [
          { name: 'w', ip: '1' },
          { name: 'w', ip: '2' },
        ],
      }),
    /node name w is given twice/,
  );
  assert.equal(buildSeedEntries({ nodes: ['node1'], workers: [] }).filter((entry) => entry.key.startsWith('minions/')).length, 1);
});
