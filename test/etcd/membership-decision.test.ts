// The restore runbooks' decisions from membership facts, pure: the HA runbook refuses a
// member the hosts do not cover unless dropMembers names it; the single-master runbook
// refuses more than one member (live, snapshot, its own manifest) unless standalone, and
// then says what the others need (and refuses when the others still run with quorum).
// Hosts built from the real kubeadm HA manifests of fixtures/manifests/stacked-ha
// (kubeadm init's lists only itself; the joins list the members of their moment).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LiveMembership, LiveMember } from '../../src/etcd/live-members.js';
import { parseEtcdManifest } from '../../src/etcd/manifest.js';
import { decideMembership } from '../../src/etcd/membership-decision.js';
import { combineMembership, type HostMember, type MembershipInput } from '../../src/etcd/membership-facts.js';
import type { SnapshotMembership } from '../../src/etcd/snapshot-members.js';
import { fixtureText } from './helpers/fake-host.js';

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

const MEMBERS: LiveMember[] = [
  { id: '4b6caaf9b0c02dc8', name: 'cp-1-dev', peerUrls: ['https://192.168.130.3:2380'], clientUrls: ['https://192.168.130.3:2379'], isLearner: false },
  { id: 'b09409c738b79b32', name: 'cp-2-dev', peerUrls: ['https://192.168.130.4:2380'], clientUrls: ['https://192.168.130.4:2379'], isLearner: false },
  { id: '62389ec7efe2984d', name: 'cp-3-dev', peerUrls: ['https://192.168.130.5:2380'], clientUrls: ['https://192.168.130.5:2379'], isLearner: false },
];

function live(members: LiveMember[], leaderOrNone: string | null = members[0]?.id ?? null): LiveMembership {
  const leader = leaderOrNone ?? undefined;
  return {
    answered: true,
    members,
    endpoints: members.map((m) => ({ endpoint: m.clientUrls[0]!, ok: true, clusterId: '35d52632c2b4289e', memberId: m.id, leader })),
    clusterIds: ['35d52632c2b4289e'],
    clusterId: '35d52632c2b4289e',
    leader,
    noLeader: leader === undefined,
    elapsedMs: 5,
  };
}
const snapshotOf = (members: LiveMember[]): SnapshotMembership => ({ members: members.map((m) => ({ ...m })), removedIds: [], clusterVersion: '3.5.0', problems: [] });
const NO_LIVE: LiveMembership = { answered: false, endpoints: [], members: [], clusterIds: [], noLeader: false, problem: 'no etcd member answered', elapsedMs: 3000 };

const decide = (input: MembershipInput, scope: 'hosts' | 'self', standalone = false) => decideMembership({ facts: combineMembership(input), scope, hosts: input.hosts.map((h) => h.host), standalone });
const errors = (d: ReturnType<typeof decide>) => d.findings.filter((f) => f.finding.level === 'error').map((f) => `${f.host}: ${f.finding.message}`);

test('HA: a real kubeadm HA cluster (manifests differ per master) with every member covered plans without refusing', () => {
  const d = decide({ hosts: [CP1, CP2, CP3], live: live(MEMBERS), snapshot: snapshotOf(MEMBERS) }, 'hosts');
  assert.deepEqual(errors(d), []);
  assert.equal(d.initialCluster, 'cp-1-dev=https://192.168.130.3:2380,cp-2-dev=https://192.168.130.4:2380,cp-3-dev=https://192.168.130.5:2380');
  assert.deepEqual(d.leftOut, []);
  // Also with the cluster down (no live answer): the snapshot's members decide.
  assert.deepEqual(errors(decide({ hosts: [CP1, CP2, CP3], live: NO_LIVE, snapshot: snapshotOf(MEMBERS) }, 'hosts')), []);
});

test('HA: a live member no host covers is refused on every host (cp-3 is listed by no other manifest: only the live list tells)', () => {
  const d = decide({ hosts: [CP1, CP2], live: live(MEMBERS), snapshot: snapshotOf(MEMBERS) }, 'hosts');
  const messages = errors(d);
  assert.deepEqual(
    messages.map((m) => m.split(':')[0]),
    ['cp-1', 'cp-2'],
  );
  assert.match(messages[0]!, /the live cluster has 3 members, the inventory covers 2: cp-3-dev \(https:\/\/192\.168\.130\.5:2380\) is not covered .*\(to drop it: -p dropMembers=cp-3-dev\)/);
  // The cluster down: the snapshot's records refuse it the same way.
  const down = errors(decide({ hosts: [CP1, CP2], live: NO_LIVE, snapshot: snapshotOf(MEMBERS) }, 'hosts'));
  assert.match(down.join('\n'), /the snapshot records 3 members, the inventory covers 2: cp-3-dev/);
});

test('HA: dropMembers leaves the named member out: no refusal, the restored cluster is the covered members, and the plan says how to re-join it', () => {
  const d = decide({ hosts: [CP1, CP2], live: NO_LIVE, snapshot: snapshotOf(MEMBERS), drop: ['cp-3-dev'] }, 'hosts');
  assert.deepEqual(errors(d), []);
  assert.equal(d.initialCluster, 'cp-1-dev=https://192.168.130.3:2380,cp-2-dev=https://192.168.130.4:2380');
  assert.deepEqual(
    d.leftOut.map((r) => r.name),
    ['cp-3-dev'],
  );
  const said = d.findings.map((f) => f.finding.message).join('\n');
  assert.match(said, /the restored cluster has only the 2 covered member\(s\) cp-1-dev, cp-2-dev; dropped: cp-3-dev .*member add/);
  // Dropping a member nobody knows, or a host's own, is refused.
  assert.match(
    errors(decide({ hosts: [CP1, CP2], live: NO_LIVE, snapshot: snapshotOf(MEMBERS), drop: ['cp-3-dev', 'ghost'] }, 'hosts')).join('\n'),
    /member ghost is to be dropped, but no source knows/,
  );
  assert.match(errors(decide({ hosts: [CP1, CP2, CP3], live: NO_LIVE, snapshot: snapshotOf(MEMBERS), drop: ['cp-2-dev'] }, 'hosts')).join('\n'), /it is cp-2's own member/);
});

test("single: one member of a 3-member cluster is refused, pointing to the HA runbook and standalone; even kubeadm init's master whose manifest lists only itself", () => {
  for (const host of [CP1, CP3]) {
    const d = decide({ hosts: [host], live: live(MEMBERS), snapshot: snapshotOf(MEMBERS) }, 'self');
    const [message, ...rest] = errors(d);
    assert.deepEqual(rest, []);
    assert.match(
      message!,
      new RegExp(`^${host.host}: the etcd cluster has more than one member \\(live: 3 \\([-a-z0-9, ]+\\); in the snapshot: 3 .*'s manifest --initial-cluster: ${host === CP1 ? 1 : 3}\\)`),
    );
    assert.match(message!, /runbooks\/etcd-restore-ha\.yaml .* -p standalone=true/);
  }
  // Cluster down, snapshot unread: the manifest's own history still tells (a joined master).
  assert.match(errors(decide({ hosts: [CP3], live: NO_LIVE, snapshot: null }, 'self')).join('\n'), /live: no answer; snapshot not read; cp-3's manifest --initial-cluster: 3/);
});

test('single, standalone: refused while the others still run with quorum; with quorum lost it plans and says what the others need', () => {
  const running = decide({ hosts: [CP1], live: live(MEMBERS), snapshot: snapshotOf(MEMBERS) }, 'self', true);
  assert.match(errors(running).join('\n'), /standalone: the live cluster still has quorum \(leader 4b6caaf9b0c02dc8.*its other members run \(cp-2-dev .*cp-3-dev/);
  const lost = decide({ hosts: [CP1], live: live(MEMBERS, null), snapshot: snapshotOf(MEMBERS) }, 'self', true);
  assert.deepEqual(errors(lost), []);
  assert.equal(lost.initialCluster, 'cp-1-dev=https://192.168.130.3:2380');
  assert.deepEqual(
    lost.leftOut.map((r) => r.name),
    ['cp-2-dev', 'cp-3-dev'],
  );
  const warning = lost.findings.find((f) => f.finding.level === 'warn')!.finding.message;
  assert.match(warning, /standalone: cp-1 is restored as a NEW 1-member cluster \(--initial-cluster cp-1-dev=https:\/\/192\.168\.130\.3:2380\)/);
  assert.match(warning, /stop its etcd .*wipe its data dir.*etcdctl member add .*kubeadm join --control-plane/);
});

test('single: a true 1-member cluster passes; a step of several hosts is refused', () => {
  const alone: HostMember = {
    host: 'm',
    own: {
      name: 'm',
      peerUrls: ['https://10.0.0.1:2380'],
      clientUrls: ['https://10.0.0.1:2379'],
      dataDir: '/var/lib/etcd',
      hostDataDir: '/var/lib/etcd',
      layout: 'kubeadm',
      initialCluster: 'm=https://10.0.0.1:2380',
    },
  };
  const one = [{ ...MEMBERS[0]!, name: 'm', peerUrls: ['https://10.0.0.1:2380'] }];
  const d = decide({ hosts: [alone], live: live(one), snapshot: snapshotOf(one) }, 'self');
  assert.deepEqual(errors(d), []);
  assert.match(d.findings[0]!.finding.message, /one etcd member .*: m is the whole cluster/);
  assert.match(errors(decide({ hosts: [CP1, CP2], live: NO_LIVE, snapshot: null }, 'self', true)).join('\n'), /restores ONE master .* 2 hosts \(cp-1, cp-2\)/);
});
