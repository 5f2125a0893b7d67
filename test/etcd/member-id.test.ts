// etcd's member and cluster ids: against ids a real kubeadm cluster printed (the stacked
// HA README fixture) and against what a real `etcdctl snapshot restore` + start of etcd
// 3.4.23 reports. Loopback prefix: 127.0.122.x (run under /tmp/drbook-tests.lock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { computeClusterId, computeMemberId, hexId, parseMemberId, predictRestoredCluster } from '../../src/etcd/member-id.js';
import { probeLiveMembership } from '../../src/etcd/live-members.js';
import { readSnapshotMembershipFromBuffer } from '../../src/etcd/snapshot-members.js';
import { findFreePort } from '../support/ports.js';
import { fixtureText } from './helpers/fake-host.js';
import { makeTestPki } from './helpers/etcd-server.js';
import { startMember, type ClusterMember } from './helpers/etcd-cluster.js';

test('a real kubeadm cluster: the init member id and the cluster id follow from its peer URL and the default token', () => {
  // kubeadm passes no --initial-cluster-token: etcd's default "etcd-cluster" is in the id.
  const table = fixtureText('manifests/stacked-ha/member-list.txt');
  const row = /\| (\w+) \| started \| cp-1-dev \| (\S+) \|/.exec(table)!;
  assert.equal(computeMemberId([row[2]!]), row[1]);
  assert.equal(computeMemberId([row[2]!], 'etcd-cluster'), '4b6caaf9b0c02dc8');
  const clusterId = /added to cluster (\w+)/.exec(table)![1];
  assert.equal(computeClusterId([row[1]!]), clusterId, "the cluster id is the 1-member bootstrap's, however many joined since");
  // The joined members' ids mix in the time of `member add`: not derivable.
  const joined = /\| (\w+) \| started \| cp-2-dev \| (\S+) \|/.exec(table)!;
  assert.notEqual(computeMemberId([joined[2]!]), joined[1]);
});

test('ids are hex without leading zeros, peer URLs are sorted, the token changes everything', () => {
  assert.equal(computeMemberId(['https://b:2380', 'https://a:2380'], 't'), computeMemberId(['https://a:2380', 'https://b:2380'], 't'));
  assert.notEqual(computeMemberId(['https://a:2380'], 't1'), computeMemberId(['https://a:2380'], 't2'));
  // The etcd3 client's decimal ids (etcdctl printed 15726241192317463828 as da3ed50b1032ad14).
  assert.equal(hexId('15726241192317463828'), 'da3ed50b1032ad14');
  assert.equal(parseMemberId('10cfc2d7099dbcf'), 0x10cfc2d7099dbcfn);
  assert.throws(() => parseMemberId('xyz'), /not an etcd member id/);
  // Order of the member ids does not matter to the cluster id.
  assert.equal(computeClusterId(['a', 'b', 'c']), computeClusterId(['c', 'a', 'b']));
  const predicted = predictRestoredCluster('n1=https://10.0.0.1:2380,n2=https://10.0.0.2:2380,n1=https://10.0.0.9:2380', 'tok');
  assert.deepEqual(
    predicted.members.map((m) => [m.name, m.peerUrls]),
    [
      ['n1', ['https://10.0.0.1:2380', 'https://10.0.0.9:2380']],
      ['n2', ['https://10.0.0.2:2380']],
    ],
  );
  assert.throws(() => predictRestoredCluster('n1=https://a:2380,n2=https://a:2380'), /two members the same id/);
  assert.throws(() => predictRestoredCluster('n1'), /has no peer URL/);
});

test('a real snapshot restore into 3 members: the ids and the cluster id etcd reports are the predicted ones', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-ids-'));
  const started: ClusterMember[] = [];
  t.after(async () => {
    await Promise.all(started.map((m) => m.stop()));
    await rm(dir, { recursive: true, force: true });
  });
  const ips = ['127.0.122.1', '127.0.122.2', '127.0.122.3'];
  const pki = await makeTestPki(join(dir, 'pki'), ips);
  const ctl = (endpoint: string, ...args: string[]) =>
    execa('etcdctl', ['--endpoints', endpoint, '--cacert', pki.ca, '--cert', pki.clientCert, '--key', pki.clientKey, ...args], { env: { ETCDCTL_API: '3' } });
  const oldPeer = `http://${ips[0]}:${await findFreePort(ips[0])}`;
  const old = await startMember({ dir, pki, name: 'old', ip: ips[0]!, peerUrl: oldPeer, initialCluster: `old=${oldPeer}`, state: 'new', token: 'etcd-cluster' });
  started.push(old);
  await ctl(old.clientUrl, 'put', '/registry/namespaces/default', 'v');
  const snapshot = join(dir, 'snap.db');
  await ctl(old.clientUrl, 'snapshot', 'save', snapshot);
  await old.stop();

  const peers = await Promise.all(ips.map(async (ip) => `http://${ip}:${await findFreePort(ip)}`));
  const names = ['r1', 'r2', 'r3'];
  const initialCluster = names.map((n, i) => `${n}=${peers[i]}`).join(',');
  const token = 'drbook-r-20261201';
  const predicted = predictRestoredCluster(initialCluster, token);
  for (const [i, name] of names.entries()) {
    await execa(
      'etcdctl',
      [
        'snapshot',
        'restore',
        snapshot,
        '--name',
        name,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-token',
        token,
        '--initial-advertise-peer-urls',
        peers[i]!,
        '--data-dir',
        join(dir, `${name}.etcd`),
      ],
      { env: { ETCDCTL_API: '3' } },
    );
  }
  // etcd 3.4's restore leaves the snapshot's members in the restored backend's members
  // bucket (its saveDB deletes them through the key space, not the bucket): the restored
  // dir's db is no evidence of the new membership; the live cluster is.
  const restoredDb = readSnapshotMembershipFromBuffer(await readFile(join(dir, 'r1.etcd/member/snap/db')));
  assert.deepEqual(
    restoredDb.members.map((m) => m.name),
    ['old'],
  );

  // The members need each other for a quorum: start them together.
  const restored = await Promise.all(names.map((name, i) => startMember({ dir, pki, name, ip: ips[i]!, peerUrl: peers[i]!, initialCluster, state: 'new', token, dataDir: join(dir, `${name}.etcd`) })));
  started.push(...restored);
  const live = await probeLiveMembership({ endpoints: restored.map((m) => m.clientUrl), ca: await readFile(pki.ca), cert: await readFile(pki.clientCert), key: await readFile(pki.clientKey) });
  assert.equal(live.answered, true);
  assert.equal(live.clusterId, predicted.clusterId);
  assert.deepEqual(live.clusterIds, [predicted.clusterId], 'every member runs the restored cluster');
  assert.deepEqual(live.members.map((m) => [m.name, m.id]).sort(), predicted.members.map((m) => [m.name, m.id]).sort());
  assert.deepEqual(live.endpoints.map((e) => e.memberId).sort(), predicted.members.map((m) => m.id).sort());
  // The old cluster's id is not the new one: a restore makes a new cluster.
  assert.notEqual(predicted.clusterId, computeClusterId([computeMemberId([oldPeer], 'etcd-cluster')]));
  const value = await ctl(restored[1]!.clientUrl, 'get', '/registry/namespaces/default', '--print-value-only');
  assert.equal(value.stdout.trim(), 'v');
});
