// "Did the restore take?", pure: the cluster that answers after a restore is judged by
// the ids the restore's --initial-cluster and token predict (not only key counts): an
// etcd still serving its old data answers with the old cluster id; a member missing,
// an extra member, a revision below the snapshot's (+ bump) are each named. The judge
// on restore-version skews (etcd docs: no offline downgrade; upgrades one minor at a time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IMember } from 'etcd3';
import { judgeRestored, type RestoredExpectation } from '../../../src/actions/etcd/verify-restored.js';
import type { ClusterHealth } from '../../../src/etcd/health.js';
import { predictRestoredCluster } from '../../../src/etcd/member-id.js';
import { judgeRestoreVersions } from '../../../src/etcd/version-skew.js';

const INITIAL = 'node1=https://127.0.160.1:2380,node2=https://127.0.160.2:2380';
const predicted = predictRestoredCluster(INITIAL, 'drbook-r1');
const expectation: RestoredExpectation = { predicted, initialCluster: INITIAL, minRevision: 42, revisionWhy: "the snapshot's revision 42" };
const dec = (hex: string) => BigInt(`0x${hex}`).toString();

function health(clusterHex: string, revision: number, members = predicted.members.map((m) => ({ id: m.id, name: m.name }))): ClusterHealth {
  return {
    endpoints: ['https://127.0.160.1:2379', 'https://127.0.160.2:2379'].map((endpoint) => ({ endpoint, ok: true, clusterId: dec(clusterHex), revision })),
    members: members.map((m) => ({ ID: dec(m.id), name: m.name, peerURLs: [], clientURLs: ['x'] }) as unknown as IMember),
    problems: [],
  };
}

test('the predicted cluster at the snapshot revision or above passes', () => {
  assert.deepEqual(judgeRestored(health(predicted.clusterId, 42), expectation), []);
  assert.deepEqual(judgeRestored(health(predicted.clusterId, 50), expectation), []);
});

test('an etcd on its old data answers for another cluster id: named, with the likely cause', () => {
  const problems = judgeRestored(health('35d52632c2b4289e', 900), expectation);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(
    problems[0]!,
    new RegExp(
      `https://127\\.0\\.160\\.1:2379 answers for cluster 35d52632c2b4289e, not the restored cluster ${predicted.clusterId} \\(predicted from --initial-cluster ${INITIAL} and token drbook-r1\\): .*old data dir`,
    ),
  );
});

test('a missing or extra member, a renamed one and a revision below the snapshot (+ bump) are each named', () => {
  const [one, two] = predicted.members;
  const problems = judgeRestored(
    health(predicted.clusterId, 41, [
      { id: one!.id, name: 'renamed' },
      { id: 'abc', name: 'stranger' },
    ]),
    { ...expectation, minRevision: 41 + 1, revisionWhy: "the snapshot's revision 2 + the bump 40" },
  );
  const text = problems.join('\n');
  assert.match(text, /is at revision 41, below 42 \(the snapshot's revision 2 \+ the bump 40\)/);
  assert.match(text, new RegExp(`the restored members node2 \\(${two!.id}\\) are not in the member list`));
  assert.match(text, /members the restore did not create: stranger \(abc\)/);
  assert.match(text, new RegExp(`member ${one!.id} runs as renamed, restored as node1`));
});

test('versions: same minor ok; a tool one minor older warns (an upgrade etcd supports); a newer tool or a snapshot of a newer cluster is refused', () => {
  const levels = (tool: string, running: string, snapshot?: string) =>
    judgeRestoreVersions({ tool: { name: 'etcdctl', version: tool }, running: { version: running, from: 'the image tag' }, snapshotClusterVersion: snapshot }).map((l) => l.level);
  assert.deepEqual(levels('3.5.9', '3.5.16', '3.5.0'), ['ok']);
  assert.deepEqual(levels('3.4.23', '3.5.16', '3.4.0'), ['warn']);
  assert.deepEqual(levels('3.4.23', '3.5.16', '3.5.0'), ['warn', 'warn'], 'the snapshot newer than the tool is named too');
  assert.deepEqual(levels('3.6.0', '3.5.16'), ['error']);
  assert.deepEqual(levels('3.3.0', '3.5.16'), ['error']);
  assert.ok(levels('3.5.16', '3.4.23', '3.5.0').every((l) => l === 'error'));
  const [message] = judgeRestoreVersions({ tool: { name: 'etcdutl', version: '3.6.1' }, running: { version: '3.5.16', from: 'the image tag of registry.k8s.io/etcd:3.5.16-0' } });
  assert.match(message!.message, /version skew: etcdutl 3\.6\.1 restores for etcd 3\.5\.16 .*a downgrade etcd does not support/);
});
