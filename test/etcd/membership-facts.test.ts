// The membership combinator on the real 3-master kubeadm cluster of the stacked HA README
// (its manifests and `member list`, fixtures/manifests/stacked-ha) and on variations of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LiveMembership, LiveMember } from '../../src/etcd/live-members.js';
import { parseEtcdManifest } from '../../src/etcd/manifest.js';
import { combineMembership, type HostMember, type MembershipInput } from '../../src/etcd/membership-facts.js';
import { formatMembership } from '../../src/etcd/membership-format.js';
import type { SnapshotMembership } from '../../src/etcd/snapshot-members.js';
import { fixtureText } from './helpers/fake-host.js';

/** The README's `member list -w table` as live members. */
function readmeMembers(): LiveMember[] {
  return fixtureText('manifests/stacked-ha/member-list.txt')
    .split('\n')
    .map((line) => /^\| (\w+) \| (\w+) \| +(\S*) +\| (\S+) \| +(\S*) +\| +(\w+) \|$/.exec(line))
    .filter((m): m is RegExpExecArray => Boolean(m) && m![1] !== 'ID')
    .map((m) => ({ id: m[1]!, name: m[3]!, peerUrls: [m[4]!], clientUrls: m[5] ? [m[5]] : [], isLearner: m[6] === 'true' }));
}

function live(members: LiveMember[], extra: Partial<LiveMembership> = {}): LiveMembership {
  return {
    answered: true,
    members,
    endpoints: members.map((m) => ({ endpoint: m.clientUrls[0] ?? '', ok: true, clusterId: '35d52632c2b4289e', memberId: m.id })),
    clusterIds: ['35d52632c2b4289e'],
    clusterId: '35d52632c2b4289e',
    leader: members[0]?.id,
    noLeader: false,
    elapsedMs: 12,
    ...extra,
  };
}

function snapshotOf(members: LiveMember[]): SnapshotMembership {
  return { members: members.map((m) => ({ ...m })), removedIds: [], clusterVersion: '3.5.0', problems: [] };
}

/** A host's own member from a README manifest (the README cut the volumes; the data dir is kubeadm's). */
function fromManifest(host: string, fixture: string): HostMember {
  const { values } = parseEtcdManifest(fixtureText(fixture), '/etc/kubernetes/manifests/etcd.yaml');
  return {
    host,
    own: {
      name: values.name!,
      peerUrls: [values.initialAdvertisePeerUrls!],
      clientUrls: [values.advertiseClientUrls!],
      dataDir: '/var/lib/etcd',
      hostDataDir: '/var/lib/etcd',
      layout: 'kubeadm',
      initialCluster: values.initialCluster,
    },
  };
}

const CP1 = fromManifest('cp-1', 'manifests/stacked-ha/cp-1-dev-etcd.yaml');
const CP2 = fromManifest('cp-2', 'manifests/stacked-ha/cp-2-dev-etcd.yaml');
const CP3: HostMember = {
  host: 'cp-3',
  own: {
    name: 'cp-3-dev',
    peerUrls: ['https://192.168.130.5:2380'],
    clientUrls: ['https://192.168.130.5:2379'],
    dataDir: '/var/lib/etcd',
    hostDataDir: '/var/lib/etcd',
    layout: 'kubeadm',
    initialCluster: 'cp-3-dev=https://192.168.130.5:2380,cp-1-dev=https://192.168.130.3:2380,cp-2-dev=https://192.168.130.4:2380',
  },
};

const codes = (input: MembershipInput) => combineMembership(input).disagreements.map((d) => `${d.level} ${d.code}`);

test('a real kubeadm HA cluster whose manifests differ per master: one table, no refusal, history is just history', () => {
  const members = readmeMembers();
  const facts = combineMembership({ hosts: [CP1, CP2, CP3], live: live(members), snapshot: snapshotOf(members) });
  assert.deepEqual(facts.disagreements, []);
  assert.equal(facts.authority, 'live');
  assert.deepEqual(
    facts.rows.map((r) => [r.name, r.host, r.live?.id, r.snapshot?.id]),
    [
      ['cp-1-dev', 'cp-1', '4b6caaf9b0c02dc8', '4b6caaf9b0c02dc8'],
      ['cp-2-dev', 'cp-2', 'b09409c738b79b32', 'b09409c738b79b32'],
      ['cp-3-dev', 'cp-3', '62389ec7efe2984d', '62389ec7efe2984d'],
    ],
  );
  assert.deepEqual(
    facts.rows[0]!.listedBy.map((l) => l.host),
    ['cp-1', 'cp-2', 'cp-3'],
  );
  assert.deepEqual(
    facts.rows[1]!.listedBy.map((l) => l.host),
    ['cp-2', 'cp-3'],
  );
  assert.equal(facts.restore.initialCluster, 'cp-1-dev=https://192.168.130.3:2380,cp-2-dev=https://192.168.130.4:2380,cp-3-dev=https://192.168.130.5:2380');
  assert.deepEqual(facts.counts, { hosts: 3, live: 3, snapshot: 3, history: 3, largestHistory: 3 });
  const lines = formatMembership(facts);
  assert.equal(lines[0], "etcd membership (3 inventory host(s), 3 live member(s), 3 in the snapshot, 3 in manifests' --initial-cluster; who the members are: the live cluster's member list)");
  assert.match(lines[1]!, /^MEMBER\s+PEER URL\s+HOST\s+LIVE\s+SNAPSHOT\s+LISTED BY$/);
  assert.match(lines[2]!, /^cp-1-dev\s+https:\/\/192\.168\.130\.3:2380\s+cp-1\s+4b6caaf9b0c02dc8 leader\s+4b6caaf9b0c02dc8\s+cp-1,cp-2,cp-3$/);
});

test('the inventory covers 2 of 3 live members: refused, naming the one not covered; dropping it on purpose turns it into a warning', () => {
  const members = readmeMembers();
  const facts = combineMembership({ hosts: [CP1, CP2], live: live(members), snapshot: snapshotOf(members) });
  const error = facts.disagreements.find((d) => d.code === 'live-not-covered')!;
  assert.equal(error.level, 'error');
  assert.equal(error.message, 'the live cluster has 3 members, the inventory covers 2: cp-3-dev (https://192.168.130.5:2380) is not covered (add that master to the inventory, or drop it)');
  assert.deepEqual(
    facts.restore.members.map((m) => m.name),
    ['cp-1-dev', 'cp-2-dev'],
  );
  const dropped = combineMembership({ hosts: [CP1, CP2], live: live(members), snapshot: snapshotOf(members), drop: ['cp-3-dev'] });
  assert.deepEqual(
    dropped.disagreements.map((d) => `${d.level} ${d.code}`),
    ['warn dropped'],
  );
  assert.match(dropped.disagreements[0]!.message, /cp-3-dev \(https:\/\/192\.168\.130\.5:2380\) is dropped: .* stop its etcd before the restore, then re-join it/);
  assert.deepEqual(codes({ hosts: [CP1, CP2], live: null, snapshot: null, drop: ['cp-9'] }), ['error drop-unknown']);
  assert.match(combineMembership({ hosts: [CP1, CP2], live: null, snapshot: null, drop: ['cp-1-dev'] }).disagreements[0]!.message, /it is cp-1's own member/);
});

test('a removed master in old manifests: history, told as such; before any source is read it is only not covered', () => {
  const members = readmeMembers();
  const node3: HostMember = { host: 'node3', own: { ...CP3.own!, initialCluster: `${CP3.own!.initialCluster},node4=https://192.168.130.9:2380` } };
  const facts = combineMembership({ hosts: [CP1, CP2, node3], live: live(members), snapshot: snapshotOf(members) });
  assert.deepEqual(
    facts.disagreements.map((d) => [d.level, d.code, d.message]),
    [['info', 'history-only', "node3's manifest lists node4 (https://192.168.130.9:2380), which is neither a live member nor in the snapshot: history (a removed member?)"]],
  );
  const blind = combineMembership({ hosts: [CP1, CP2, node3], live: null, snapshot: null });
  assert.equal(blind.authority, 'history');
  assert.deepEqual(
    blind.disagreements.map((d) => `${d.level} ${d.code}`),
    ['warn history-not-covered'],
  );
});

test('no member answers: the snapshot is the membership, and a member it records that no host covers is refused', () => {
  const members = readmeMembers();
  const down = {
    ...live([]),
    answered: false,
    clusterIds: [],
    clusterId: undefined,
    leader: undefined,
    problem: 'no etcd member answered within 3.0 s: https://192.168.130.3:2379: nothing listens there',
  };
  const facts = combineMembership({ hosts: [CP1, CP2], live: down, snapshot: snapshotOf(members) });
  assert.equal(facts.authority, 'snapshot');
  assert.deepEqual(
    facts.disagreements.map((d) => `${d.level} ${d.code}`),
    ['info no-live-answer', 'error snapshot-not-covered'],
  );
  assert.equal(
    facts.disagreements[1]!.message,
    'the snapshot records 3 members, the inventory covers 2: cp-3-dev (https://192.168.130.5:2380) is not covered (add that master to the inventory, or drop it)',
  );
  assert.deepEqual(facts.sources, { live: 'no answer', snapshot: 'read' });
  assert.match(formatMembership(facts)[4]!, /^cp-3-dev\s+\S+\s+-\s+no answer\s+62389ec7efe2984d/);
});

test('a member removed since the snapshot; a host that is not a live member; a member whose address changed', () => {
  const members = readmeMembers();
  const facts = combineMembership({ hosts: [CP1, CP2], live: live(members.filter((m) => m.name !== 'cp-3-dev')), snapshot: snapshotOf(members) });
  assert.deepEqual(
    facts.disagreements.map((d) => `${d.level} ${d.code}`),
    ['info removed-since-snapshot'],
  );
  const moved: HostMember = { host: 'cp-2', own: { ...CP2.own!, peerUrls: ['https://192.168.130.44:2380'] } };
  const changed = combineMembership({ hosts: [CP1, moved, CP3], live: live(members), snapshot: null });
  assert.deepEqual(
    changed.disagreements.map((d) => [d.code, d.message]),
    [['peer-url-differs', 'cp-2 advertises https://192.168.130.44:2380 for cp-2-dev, but the live cluster lists https://192.168.130.4:2380 (did its address change?)']],
  );
  const stranger: HostMember = { host: 'cp-9', own: { ...CP3.own!, name: 'cp-9', peerUrls: ['https://192.168.130.99:2380'], initialCluster: undefined } };
  assert.deepEqual(codes({ hosts: [CP1, CP2, CP3, stranger], live: live(members), snapshot: snapshotOf(members) }), ['warn host-not-live', 'info host-not-in-snapshot']);
  const renamed: HostMember = { host: 'cp-3', own: { ...CP3.own!, name: 'cp3' } };
  assert.deepEqual(codes({ hosts: [CP1, CP2, renamed], live: live(members), snapshot: null }), ['warn name-differs']);
});

test('two clusters answer, a member added but never started, a learner, no leader', () => {
  const members = readmeMembers();
  const split = live(members, {
    clusterIds: ['35d52632c2b4289e', '1c8d56d0c7dbcc34'],
    clusterId: undefined,
    endpoints: [
      { endpoint: 'https://192.168.130.3:2379', ok: true, clusterId: '35d52632c2b4289e' },
      { endpoint: 'https://192.168.130.5:2379', ok: true, clusterId: '1c8d56d0c7dbcc34' },
    ],
  });
  const facts = combineMembership({ hosts: [CP1, CP2, CP3], live: split, snapshot: null });
  assert.equal(
    facts.disagreements[0]!.message,
    'the etcd endpoints answer for 2 different clusters: 35d52632c2b4289e (https://192.168.130.3:2379); 1c8d56d0c7dbcc34 (https://192.168.130.5:2379): a split brain, or an endpoint of another cluster',
  );
  // As the README shows right after `member add`: a member with a peer URL and no name yet.
  const added = [...members, { id: '10cfc2d7099dbcf', name: '', peerUrls: ['https://192.168.140.1:2380'], clientUrls: [], isLearner: false }];
  assert.deepEqual(codes({ hosts: [CP1, CP2, CP3], live: live(added), snapshot: null }), ['error live-not-covered', 'warn unstarted']);
  const learner = members.map((m) => (m.name === 'cp-3-dev' ? { ...m, isLearner: true } : m));
  assert.deepEqual(codes({ hosts: [CP1, CP2, CP3], live: live(learner), snapshot: null }), ['warn learner']);
  assert.deepEqual(codes({ hosts: [CP1, CP2, CP3], live: live(members, { leader: undefined, noLeader: true }), snapshot: null }), ['warn no-leader']);
});

test("hosts that cannot tell their member, or claim another host's, are errors naming both", () => {
  const facts = combineMembership({
    hosts: [CP1, { host: 'cp-2', problem: 'unsupported layout: etcd is configured by k3s (...)' }, { ...CP3, host: 'cp-1b', own: { ...CP1.own! } }],
    live: null,
    snapshot: null,
  });
  assert.deepEqual(
    facts.disagreements.map((d) => [d.code, d.hosts]),
    [
      ['host-without-facts', ['cp-2']],
      ['duplicate-name', ['cp-1', 'cp-1b']],
    ],
  );
  assert.equal(facts.disagreements[0]!.message, 'cp-2: no etcd member facts: unsupported layout: etcd is configured by k3s (...)');
  assert.deepEqual(
    facts.restore.members.map((m) => m.host),
    ['cp-1'],
  );
  assert.deepEqual(facts.sources, { live: 'not asked', snapshot: 'not read' });
  assert.match(formatMembership(facts)[2]!, /^cp-1-dev\s+https:\/\/192\.168\.130\.3:2380\s+cp-1\s+\?\s+\?\s+cp-1,cp-1b$/);
});

test('a snapshot of another cluster shares no member id with the live one', () => {
  const members = readmeMembers();
  const other: SnapshotMembership = { members: members.map((m) => ({ ...m, id: `1${m.id.slice(1)}` })), removedIds: [], problems: [] };
  assert.ok(codes({ hosts: [CP1, CP2, CP3], live: live(members), snapshot: other }).includes('warn snapshot-from-other-cluster'));
});
