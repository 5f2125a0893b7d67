// Facts that come from etcd itself, on a real etcd 3.4.23 cluster built the way kubeadm
// builds one (m1 bootstraps, m2..m4 join with `member add`, then m2 is removed, so the
// manifests of m3 and m4 still list it, as on a real cluster that lost a master): the
// members a snapshot records (read page by page, locally and through the command path
// a remote host takes), the live member list, and the ids etcd derives.
// Loopback prefix: 127.0.120.x (run under /tmp/drbook-tests.lock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeClusterId, computeMemberId } from '../../src/etcd/member-id.js';
import { probeLiveMembership, probeLiveMembershipVia } from '../../src/etcd/live-members.js';
import { readSnapshotMembership, readSnapshotMembershipFromBuffer } from '../../src/etcd/snapshot-members.js';
import { LocalTransport } from '../../src/transport/local.js';
import { combineMembership, type HostMember } from '../../src/etcd/membership-facts.js';
import { formatMembership } from '../../src/etcd/membership-format.js';
import { startKubeadmLikeCluster, type TestCluster } from './helpers/etcd-cluster.js';
import { remoteLooking } from './helpers/context.js';

interface ListedMember {
  id: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
}

/** `etcdctl member list` (table form: hex ids) as records. */
async function listMembers(cluster: TestCluster): Promise<ListedMember[]> {
  return (await cluster.etcdctl(['member', 'list']))
    .trim()
    .split('\n')
    .map((line) => {
      const [id, , name, peer, client] = line.split(', ');
      return { id: id!, name: name!, peerUrls: peer!.split(','), clientUrls: client!.split(',') };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

test('a real 3.4 cluster built like kubeadm builds it: snapshot members, live members and ids', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-members-'));
  let cluster: TestCluster | undefined;
  t.after(async () => {
    await cluster?.stopAll();
    await rm(dir, { recursive: true, force: true });
  });
  cluster = await startKubeadmLikeCluster({ dir, ips: ['127.0.120.1', '127.0.120.2', '127.0.120.3', '127.0.120.4'] });
  const removedTable = await cluster.etcdctl(['member', 'list']);
  const m2Id = removedTable
    .split('\n')
    .find((l) => l.includes(', m2, '))!
    .split(', ')[0]!;
  await cluster.remove('m2');
  const running = cluster.members.filter((m) => m.name !== 'm2');
  // Enough data that the snapshot is several MB: the membership must not need the whole file.
  const value = 'x'.repeat(100_000);
  for (let i = 0; i < 40; i++) await cluster.etcdctl(['put', `/registry/configmaps/default/big-${i}`, value]);
  const snapshot = join(dir, 'snap.db');
  await cluster.etcdctl(['snapshot', 'save', snapshot], [cluster.members[0]!]);
  const listed = await listMembers(cluster);
  assert.equal(listed.length, 3);

  await t.test('the members bucket holds exactly what `member list` says; the removed member is in members_removed', async () => {
    const fromBuffer = readSnapshotMembershipFromBuffer(await readFile(snapshot));
    const members = fromBuffer.members.map((m) => ({ id: m.id, name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls })).sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(members, listed);
    assert.deepEqual(fromBuffer.removedIds, [m2Id]);
    assert.equal(fromBuffer.clusterVersion, '3.4.0');
    assert.deepEqual(fromBuffer.problems, []);
    assert.ok(fromBuffer.members.every((m) => m.isLearner === false));
  });

  await t.test('read page by page, locally and through dd | od (the remote path): the same answer from a few KB of a multi-MB file', async () => {
    const size = (await stat(snapshot)).size;
    assert.ok(size > 4_000_000, `snapshot is ${size} bytes`);
    const local = await readSnapshotMembership(new LocalTransport('local'), snapshot);
    const remote = await readSnapshotMembership(remoteLooking(), snapshot);
    const whole = readSnapshotMembershipFromBuffer(await readFile(snapshot));
    for (const read of [local, remote]) {
      assert.deepEqual(read.members, whole.members);
      assert.deepEqual(read.removedIds, whole.removedIds);
      assert.equal(read.clusterVersion, '3.4.0');
      assert.ok(read.stats.bytes < 100_000, `read ${read.stats.bytes} of ${size} bytes`);
      assert.ok(read.stats.reads <= 6, `${read.stats.reads} reads`);
      t.diagnostic(`membership of a ${size}-byte snapshot: ${read.stats.reads} reads, ${read.stats.bytes} bytes`);
    }
    await assert.rejects(readSnapshotMembership(remoteLooking(), join(dir, 'nope.db')), /nope\.db does not exist on remote-looking/);
    await writeFile(join(dir, 'junk.db'), Buffer.alloc(70_000, 7));
    await assert.rejects(readSnapshotMembership(remoteLooking(), join(dir, 'junk.db')), /not a readable bbolt database: no valid meta page/);
  });

  await t.test('the live member list, the leader and the cluster id, from every endpoint at once', async () => {
    const live = await probeLiveMembership({
      endpoints: [...cluster!.members.map((m) => m.clientUrl)],
      ca: await readFile(cluster!.pki.ca),
      cert: await readFile(cluster!.pki.clientCert),
      key: await readFile(cluster!.pki.clientKey),
    });
    assert.equal(live.answered, true);
    const members = live.members.map((m) => ({ id: m.id, name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls })).sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(members, listed);
    const raw = await cluster!.etcdctl(['endpoint', 'status', '-w', 'json'], [cluster!.members[0]!]);
    // etcdctl's JSON numbers are beyond 2^53: take them from the text.
    const clusterId = BigInt(/"cluster_id":(\d+)/.exec(raw)![1]!).toString(16);
    const leader = BigInt(/"leader":(\d+)/.exec(raw)![1]!).toString(16);
    assert.equal(live.clusterId, clusterId);
    assert.deepEqual(live.clusterIds, [clusterId]);
    assert.equal(live.leader, leader);
    assert.equal(live.noLeader, false);
    // m2 was stopped by its removal: its endpoint says why it did not answer.
    const m2 = live.endpoints.find((e) => e.endpoint === cluster!.members[1]!.clientUrl)!;
    assert.equal(m2.ok, false);
    assert.match(m2.error!, /nothing listens there|no answer/);
    assert.equal(live.endpoints.filter((e) => e.ok).length, 3);
    assert.ok(live.endpoints.filter((e) => e.ok).every((e) => e.version === '3.4.23' && e.memberCount === 3));
    // The same through a host: credentials resolved as etcd.health does, cert files read over the transport.
    const via = await probeLiveMembershipVia(remoteLooking(), {
      endpoints: running.map((m) => m.clientUrl),
      caFile: cluster!.pki.ca,
      certFile: cluster!.pki.clientCert,
      keyFile: cluster!.pki.clientKey,
    });
    assert.equal(via.clusterId, clusterId);
    assert.equal(via.members.length, 3);
  });

  await t.test("ids: the bootstrap member's id is sha1(peer URL + token); the cluster id is fixed at bootstrap; joined members' ids are not derivable", async () => {
    const m1 = listed.find((m) => m.name === 'm1')!;
    assert.equal(computeMemberId(m1.peerUrls, cluster!.token), m1.id);
    const live = await probeLiveMembership({
      endpoints: [cluster!.members[0]!.clientUrl],
      ca: await readFile(cluster!.pki.ca),
      cert: await readFile(cluster!.pki.clientCert),
      key: await readFile(cluster!.pki.clientKey),
    });
    assert.equal(live.clusterId, computeClusterId([m1.id]), 'adding members does not change the cluster id');
    const m3 = listed.find((m) => m.name === 'm3')!;
    assert.notEqual(computeMemberId(m3.peerUrls, cluster!.token), m3.id, '`member add` mixes the time into the id');
  });

  await t.test('combined: the hosts m1, m3, m4 restore themselves; the removed m2 in their manifests is history', async () => {
    const credentials = { ca: await readFile(cluster!.pki.ca), cert: await readFile(cluster!.pki.clientCert), key: await readFile(cluster!.pki.clientKey) };
    const live = await probeLiveMembership({ endpoints: running.map((m) => m.clientUrl), ...credentials });
    const snapshotMembers = await readSnapshotMembership(remoteLooking(), snapshot);
    const hosts: HostMember[] = running.map((m) => ({
      host: `host-${m.name}`,
      own: { name: m.name, peerUrls: [m.peerUrl], clientUrls: [m.clientUrl], dataDir: m.dataDir, hostDataDir: m.dataDir, layout: 'static-pod', initialCluster: m.initialCluster },
    }));
    const facts = combineMembership({ hosts, live, snapshot: snapshotMembers });
    assert.deepEqual(
      facts.disagreements.map((d) => [d.level, d.code, d.hosts]),
      [['info', 'history-only', ['host-m3', 'host-m4']]],
    );
    const m2 = cluster!.members[1]!;
    assert.equal(facts.disagreements[0]!.message, `the manifests of host-m3, host-m4 list m2 (${m2.peerUrl}), which is neither a live member nor in the snapshot: history (a removed member?)`);
    assert.deepEqual(
      facts.rows.filter((r) => r.host).map((r) => [r.name, r.live?.id === r.snapshot?.id && r.live !== undefined]),
      [
        ['m1', true],
        ['m3', true],
        ['m4', true],
      ],
    );
    assert.equal(facts.restore.initialCluster, running.map((m) => `${m.name}=${m.peerUrl}`).join(','));
    assert.equal(facts.leader, live.leader);
    for (const line of formatMembership(facts)) t.diagnostic(line);
  });

  await t.test('nobody answers: stopped members and a port that accepts but never speaks, told apart, within the deadline', async () => {
    await cluster!.stopAll();
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket)); // accepts the TCP connection, never answers the TLS handshake
    await new Promise<void>((resolve) => silent.listen(0, '127.0.120.5', resolve));
    t.after(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const port = (silent.address() as { port: number }).port;
    const endpoints = [...running.map((m) => m.clientUrl), `https://127.0.120.5:${port}`];
    const live = await probeLiveMembership(
      { endpoints, ca: await readFile(cluster!.pki.ca), cert: await readFile(cluster!.pki.clientCert), key: await readFile(cluster!.pki.clientKey) },
      { timeoutMs: 2_000 },
    );
    assert.equal(live.answered, false);
    assert.ok(live.elapsedMs < 3_500, `took ${live.elapsedMs} ms`);
    t.diagnostic(`no member answered: told after ${live.elapsedMs} ms`);
    assert.match(live.problem!, /^no etcd member answered within 2\.0 s: /);
    for (const m of running) assert.match(live.problem!, new RegExp(`${m.clientUrl.replace(/\./g, '\\.')}: nothing listens there`));
    assert.match(live.problem!, new RegExp(`127\\.0\\.120\\.5:${port}: (no answer|.*DEADLINE|.*timed out)`, 'i'));
    assert.deepEqual(live.members, []);
  });
});

test('a snapshot of a cluster that was itself restored (etcd 3.4) records each member twice; the membership counts it once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-restored-twice-'));
  const { startEtcd, etcdctl } = await import('./helpers/etcd-server.js');
  const { execa } = await import('execa');
  const stops: Array<() => Promise<void>> = [];
  t.after(async () => {
    for (const stop of stops.reverse()) await stop();
    await rm(dir, { recursive: true, force: true });
  });
  const first = await startEtcd({ dataDir: join(dir, 'data'), name: 'm1' });
  stops.push(first.stop);
  await etcdctl(first, 'put', '/registry/a', '1');
  await etcdctl(first, 'snapshot', 'save', join(dir, 'first.db'));
  await first.stop();
  await execa(
    'etcdctl',
    [
      'snapshot',
      'restore',
      join(dir, 'first.db'),
      '--name',
      'm1',
      '--initial-cluster',
      `m1=${first.peerUrl}`,
      '--initial-advertise-peer-urls',
      first.peerUrl,
      '--initial-cluster-token',
      'drbook-restored',
      '--data-dir',
      join(dir, 'restored'),
    ],
    { env: { ETCDCTL_API: '3' } },
  );
  const restored = await startEtcd({ dataDir: join(dir, 'restored'), name: 'm1', peerUrl: first.peerUrl });
  stops.push(restored.stop);
  await etcdctl(restored, 'snapshot', 'save', join(dir, 'second.db'));

  const recorded = readSnapshotMembershipFromBuffer(await readFile(join(dir, 'second.db')));
  assert.equal(recorded.members.length, 2, 'etcd 3.4 keeps the pre-restore record beside the new one');
  assert.deepEqual(new Set(recorded.members.map((m) => m.peerUrls.join())), new Set([first.peerUrl]));

  const host: HostMember = {
    host: 'm1',
    own: { name: 'm1', peerUrls: [first.peerUrl], clientUrls: [restored.endpoint], dataDir: join(dir, 'restored'), initialCluster: `m1=${first.peerUrl}` },
  } as HostMember;
  const facts = combineMembership({ hosts: [host], live: null, snapshot: recorded });
  assert.equal(facts.counts.snapshot, 1);
  assert.ok(
    facts.disagreements.some((d) => d.code === 'restore-leftover-records' && d.level === 'info'),
    JSON.stringify(facts.disagreements),
  );
  assert.equal(facts.disagreements.filter((d) => d.level === 'error').length, 0, JSON.stringify(facts.disagreements));
});
