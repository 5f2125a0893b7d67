// Which keys of a restored snapshot are ghosts: masterleases of addresses no restored
// member has, control-plane Nodes (dropped etcd members, role label) no restored member
// is named after, nodes named by the operator; never a worker for being absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findGhosts, hostOfUrl, unknownNamedNodes } from '../../../src/actions/k8s/ghosts-find.js';

const keys = [
  '/registry/masterleases/10.0.0.1',
  '/registry/masterleases/10.0.0.2',
  '/registry/masterleases/10.0.0.3',
  '/registry/minions/cp1',
  '/registry/minions/cp2',
  '/registry/minions/cp3',
  '/registry/minions/worker1',
  '/registry/minions/worker-gone',
  '/registry/pods/default/x',
];
const restored = [
  { name: 'cp1', addresses: ['10.0.0.1'] },
  { name: 'cp2', addresses: ['10.0.0.2'] },
];

test('a dropped master: its lease and its Node are ghosts; the workers are not, though no inventory lists them', () => {
  const ghosts = findGhosts({ keys, snapshotMembers: ['cp1', 'cp2', 'cp3'], restored });
  assert.deepEqual(
    ghosts.map((g) => g.key),
    ['/registry/masterleases/10.0.0.3', '/registry/minions/cp3'],
  );
  assert.match(ghosts[1]!.why, /etcd member cp3 of the snapshot is not in the restored cluster/);
});

test('a control-plane Node by its role label, without an etcd member of that name (external etcd, renamed member)', () => {
  const ghosts = findGhosts({ keys, controlPlane: new Set(['cp1', 'cp3']), snapshotMembers: ['cp1', 'cp2'], restored });
  assert.deepEqual(
    ghosts.map((g) => g.name),
    ['10.0.0.3', 'cp3'],
  );
  assert.match(ghosts[1]!.why, /role label/);
});

test('a worker only when the operator names it; a named node the snapshot lacks is reported', () => {
  const all = [...restored, { name: 'cp3', addresses: ['10.0.0.3'] }];
  assert.deepEqual(findGhosts({ keys, snapshotMembers: ['cp1', 'cp2', 'cp3'], restored: all }), []);
  const named = findGhosts({ keys, snapshotMembers: ['cp1', 'cp2', 'cp3'], restored: all, removeNodes: ['worker-gone'] });
  assert.deepEqual(
    named.map((g) => [g.name, g.why]),
    [['worker-gone', 'named in removeNodes']],
  );
  assert.deepEqual(unknownNamedNodes(new Set(keys), ['worker-gone', 'nope']), ['nope']);
});

test('hostOfUrl: IPv4, names and bracketed IPv6', () => {
  assert.equal(hostOfUrl('https://10.0.0.1:2380'), '10.0.0.1');
  assert.equal(hostOfUrl('https://[fd00::1]:2379'), 'fd00::1');
  assert.equal(hostOfUrl('not a url'), undefined);
});
