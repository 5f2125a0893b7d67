// The etcd half of `kubeadm join --control-plane` against a fake cluster: what the
// manifest's --initial-cluster becomes, and the waits etcd imposes (a new member is
// refused until the leader has been connected to every voter for 5 s; a learner cannot
// be promoted before it has caught up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SandboxError } from '../src/errors.js';
import { addLearner, promoteAndWait, type MembershipClient, type RpcMember } from '../src/etcd-join.js';

const node1: RpcMember = { ID: '12198622420566238703', name: 'node1', peerURLs: ['https://127.0.100.11:2380'], isLearner: false };
const joining = { name: 'node3', peerUrl: 'https://127.0.100.13:2380' };

function fakeCluster(script: { addErrors?: string[]; promoteErrors?: string[]; startsAfterListCalls?: number } = {}) {
  const added: RpcMember = { ID: '13567460527087123190', name: '', peerURLs: [joining.peerUrl], isLearner: true };
  const unnamed: RpcMember = { ID: '8434879168342007333', name: '', peerURLs: ['https://127.0.100.12:2380'], isLearner: false };
  const members = [unnamed, node1];
  const calls: string[] = [];
  let lists = 0;
  const client: MembershipClient = {
    async memberAdd(req) {
      calls.push(`add ${req.peerURLs.join(',')} learner=${req.isLearner}`);
      const error = script.addErrors?.shift();
      if (error) throw new Error(error);
      if (!members.includes(added)) members.splice(1, 0, added);
      return { members: [...members] };
    },
    async memberList() {
      lists += 1;
      if (added.isLearner === false && lists >= (script.startsAfterListCalls ?? 0)) added.name = 'node3';
      return { members: [...members] };
    },
    async memberPromote(req) {
      calls.push(`promote ${req.ID}`);
      const error = script.promoteErrors?.shift();
      if (error) throw new Error(error);
      added.isLearner = false;
      return {};
    },
  };
  return { client, calls, members };
}

test("the learner is added and --initial-cluster is the member list of that moment, in etcd's order, the new member named, an unstarted one named by its ID", async () => {
  const { client, calls } = fakeCluster();
  const cluster = await addLearner(client, joining, Date.now() + 5000);
  assert.deepEqual(calls, ['add https://127.0.100.13:2380 learner=true']);
  assert.deepEqual(cluster, [
    { name: BigInt('8434879168342007333').toString(16), peerUrl: 'https://127.0.100.12:2380' },
    { name: 'node3', peerUrl: 'https://127.0.100.13:2380' },
    { name: 'node1', peerUrl: 'https://127.0.100.11:2380' },
  ]);
});

test('a member add refused as "unhealthy cluster" is retried; a retry that finds it already added takes the list as it is', async () => {
  const { client, calls } = fakeCluster({ addErrors: ['14 UNAVAILABLE: etcdserver: unhealthy cluster'] });
  const cluster = await addLearner(client, joining, Date.now() + 5000);
  assert.equal(calls.length, 2);
  assert.equal(cluster.length, 3);

  const again = fakeCluster();
  await addLearner(again.client, joining, Date.now() + 5000);
  again.client.memberAdd = async () => {
    throw new Error('9 FAILED_PRECONDITION: etcdserver: Peer URLs already exists');
  };
  assert.deepEqual((await addLearner(again.client, joining, Date.now() + 5000)).map((m) => m.name).slice(1), ['node3', 'node1']);
});

test("a member add refused until the deadline fails naming the member and etcd's last answer", async () => {
  const { client } = fakeCluster({ addErrors: Array(20).fill('14 UNAVAILABLE: etcdserver: unhealthy cluster') });
  await assert.rejects(
    addLearner(client, joining, Date.now() + 800),
    (e: unknown) => e instanceof SandboxError && e.host === 'node3' && /member add node3 .* refused until the deadline: .*unhealthy cluster/.test(e.message),
  );
});

test('the learner is promoted once in sync, then the join waits until it is started and healthy', async () => {
  const { client, calls } = fakeCluster({ promoteErrors: ['etcdserver: can only promote a learner member which is in sync with leader'], startsAfterListCalls: 4 });
  await addLearner(client, joining, Date.now() + 5000);
  let probes = 0;
  await promoteAndWait(client, joining, async () => ({ ok: ++probes >= 2, detail: 'not yet' }), 10_000);
  assert.deepEqual(
    calls.filter((c) => c.startsWith('promote')),
    ['promote 13567460527087123190', 'promote 13567460527087123190'],
  );
  assert.ok(probes >= 2, 'health was asked until it said yes');
});

test("a learner that never catches up fails the join within its time, with etcd's reason", async () => {
  const { client } = fakeCluster({ promoteErrors: Array(20).fill('etcdserver: can only promote a learner member which is in sync with leader') });
  await addLearner(client, joining, Date.now() + 5000);
  await assert.rejects(
    promoteAndWait(client, joining, async () => ({ ok: true }), 1200),
    (e: unknown) => e instanceof SandboxError && e.kind === 'timeout' && /node3 .* could not be promoted from learner within 1 s: .*in sync with leader/.test(e.message),
  );
});
