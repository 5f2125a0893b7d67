// The etcd actions against a real etcd 3.4 with TLS and client-cert auth (kubeadm's
// setup), through the local transport, in a temp dir laid out like a kubeadm master.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { healthAction } from '../../../src/actions/etcd/health.js';
import { restoreAction } from '../../../src/actions/etcd/restore.js';
import { snapshotSaveAction } from '../../../src/actions/etcd/snapshot-save.js';
import { readVerdict } from '../../../src/actions/check-verdict.js';
import { snapshotVerifyAction } from '../../../src/actions/etcd/snapshot-verify.js';
import { withEtcdClient } from '../../../src/etcd/client.js';
import { applyPlan, errorsOf, findingText, makeContext, planAction, runUndo } from '../../etcd/helpers/context.js';
import { etcdctl, freePort, makeTestPki, startEtcd, type RunningEtcd } from '../../etcd/helpers/etcd-server.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';

let root = '';
let etcd: RunningEtcd | undefined;
let manifest = '';
let snapshot = '';
const cleanup: Array<() => Promise<unknown>> = [];

const KEYS = [
  '/registry/namespaces/default',
  '/registry/namespaces/kube-system',
  '/registry/minions/node1',
  '/registry/pods/default/web-1',
  '/registry/pods/default/web-2',
  '/registry/services/specs/default/kubernetes',
];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'drbook-etcd-actions-'));
  cleanup.push(() => rm(root, { recursive: true, force: true }));
  const pki = await makeTestPki(join(root, 'etc/kubernetes/pki/etcd'));
  etcd = await startEtcd({ dataDir: join(root, 'var/lib/etcd'), name: 'node1', pki });
  cleanup.push(() => etcd!.stop());
  manifest = join(root, 'etc/kubernetes/manifests/etcd.yaml');
  await mkdir(join(root, 'etc/kubernetes/manifests'), { recursive: true });
  await writeFile(
    manifest,
    `apiVersion: v1
kind: Pod
metadata: {name: etcd, namespace: kube-system}
spec:
  containers:
  - name: etcd
    command:
    - etcd
    - --advertise-client-urls=${etcd.endpoint}
    - --cert-file=${pki.serverCert}
    - --client-cert-auth=true
    - --data-dir=${etcd.dataDir}
    - --initial-advertise-peer-urls=${etcd.peerUrl}
    - --initial-cluster=node1=${etcd.peerUrl}
    - --key-file=${pki.serverKey}
    - --listen-client-urls=${etcd.endpoint}
    - --name=node1
    - --trusted-ca-file=${pki.ca}
`,
  );
  for (const key of KEYS) await etcdctl(etcd, 'put', key, `value of ${key}`);
  await etcdctl(etcd, 'put', 'not-kubernetes', 'x');
  snapshot = join(root, 'backup', 'snap.db');
  await mkdir(join(root, 'backup'));
});

after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

test("snapshot-save streams a verified snapshot using the manifest's endpoint and kubeadm pki layout", async () => {
  const ctx = makeContext();
  const plan = await planAction(snapshotSaveAction, ctx, { file: snapshot, manifest });
  assert.deepEqual(errorsOf(plan), []);
  assert.match(findingText(plan), new RegExp(`etcd endpoints ${etcd!.endpoint} \\(manifest\\); CA .*/ca\\.crt \\(manifest\\), client cert .*/healthcheck-client\\.crt \\(manifest\\)`));
  assert.equal(plan.changes.length, 1);
  assert.match(plan.changes[0]!.undo && 'command' in plan.changes[0]!.undo ? plan.changes[0]!.undo.command.toDisplay() : '', /^rm -f -- .*snap\.db$/);
  const logs: string[] = [];
  await applyPlan(makeContext({ logs }), plan);
  const size = (await stat(snapshot)).size;
  assert.equal(size % 512, 32);
  assert.ok(!(await readdir(join(root, 'backup'))).some((f) => f.endsWith('.part')), 'no .part left');
  assert.match(logs.join('\n'), /saved .*snap\.db from https:\/\/127\.0\.0\.1:\d+: revision \d+ or later, \d+ bytes, sha256 [0-9a-f]{64}/);
  assert.equal((await stat(snapshot)).mode & 0o777, 0o600);

  const again = await planAction(snapshotSaveAction, ctx, { file: snapshot, manifest });
  assert.match(errorsOf(again).join('\n'), /snap\.db already exists: choose another name/);
});

test("snapshot-save: its check says applied once the file is saved, reverted while absent; a file named with the run id that is an intact snapshot is this run's own", async () => {
  const ctx = makeContext({ runId: 'r-own' });
  const own = join(root, 'backup', 'snap-r-own.db');
  const plan = await planAction(snapshotSaveAction, ctx, { file: own, manifest });
  const verdict = async () => readVerdict(await ctx.probe(plan.changes[0]!.check!)).verdict;
  assert.equal(plan.changes[0]!.checkOn, 'operator');
  assert.equal(await verdict(), 'reverted');
  await applyPlan(ctx, plan);
  assert.equal(await verdict(), 'applied');
  const again = await planAction(snapshotSaveAction, ctx, { file: own, manifest });
  assert.deepEqual(again.changes, []);
  assert.match(findingText(again), /already saved by this run/);
  assert.match(errorsOf(await planAction(snapshotSaveAction, makeContext({ runId: 'r-other' }), { file: own, manifest })).join('\n'), /already exists/);
});

test('snapshot-save with a wrong client cert fails clearly and leaves no file', async () => {
  const ctx = makeContext();
  const target = join(root, 'backup', 'wrong.db');
  // A client pair from another CA: etcd's client-cert-auth refuses it.
  const other = await makeTestPki(join(root, 'other-pki'));
  const plan = await planAction(snapshotSaveAction, ctx, { file: target, manifest, certFile: other.clientCert, keyFile: other.clientKey });
  await assert.rejects(applyPlan(ctx, plan), /snapshot save failed on every endpoint: https:\/\/127\.0\.0\.1:\d+: etcd refused the client certificate/);
  assert.deepEqual(
    (await readdir(join(root, 'backup'))).filter((f) => f.startsWith('wrong')),
    [],
  );
});

test('snapshot-verify accepts the saved snapshot and shows revision, keys and sha256', async () => {
  const plan = await planAction(snapshotVerifyAction, makeContext({ dryRun: true }), { snapshot });
  assert.deepEqual(errorsOf(plan), [], findingText(plan));
  assert.deepEqual(plan.changes, []);
  const text = findingText(plan);
  assert.match(text, /ok: snapshot .*snap\.db: \d+ bytes, SHA-256 trailer matches \(file sha256 [0-9a-f]{64}\)/);
  assert.match(text, /ok: snapshot .*: revision \d+, \d+ keys \(all buckets\), \d+ bytes of db, hash [0-9a-f]{8} \(etcdctl 3\.\d+\.\d+/);
  assert.match(text, /snapshot keys at revision \d+: 7 \(6 under \/registry: minions 1, namespaces 2, pods 2, services\/specs 1\)/);
});

test('snapshot-verify refuses a flipped byte, a truncated copy, a raw db without skipHashCheck, a missing file', async () => {
  const data = await readFile(snapshot);
  const flipped = Buffer.from(data);
  flipped[5000] = flipped[5000]! ^ 0xff;
  await writeFile(join(root, 'backup', 'flipped.db'), flipped);
  await writeFile(join(root, 'backup', 'cut.db'), data.subarray(0, data.length - 1000));
  await writeFile(join(root, 'backup', 'raw.db'), data.subarray(0, data.length - 32));
  const verify = (file: string, extra = {}) => planAction(snapshotVerifyAction, makeContext({ dryRun: true }), { snapshot: join(root, 'backup', file), ...extra });

  assert.match(errorsOf(await verify('flipped.db')).join('\n'), /flipped\.db is corrupt: its SHA-256 trailer says [0-9a-f]{64} but its \d+ data bytes hash to/);
  assert.match(errorsOf(await verify('cut.db')).join('\n'), /cut\.db is truncated or corrupt/);
  assert.match(errorsOf(await verify('raw.db')).join('\n'), /raw db copy without integrity hash \(needs skipHashCheck\)/);
  const skipped = await verify('raw.db', { skipHashCheck: true });
  assert.deepEqual(errorsOf(skipped), []);
  assert.match(findingText(skipped), /warn: .*hash check skipped as asked/);
  assert.match(errorsOf(await verify('none.db')).join('\n'), /none\.db does not exist/);
});

test('snapshot-verify with expectedSha256: the same file passes, another one is refused', async () => {
  const { createHash } = await import('node:crypto');
  const sha = createHash('sha256')
    .update(await readFile(snapshot))
    .digest('hex');
  const same = await planAction(snapshotVerifyAction, makeContext({ dryRun: true }), { snapshot, expectedSha256: sha.toUpperCase() });
  assert.deepEqual(errorsOf(same), []);
  const other = await planAction(snapshotVerifyAction, makeContext({ dryRun: true }), { snapshot, expectedSha256: 'a'.repeat(64) });
  assert.match(errorsOf(other).join('\n'), new RegExp(`is not the expected file: its sha256 is ${sha}, a{64} expected`));
});

test("restore: dry-run shows tool, flags and the member from the manifest; a real restore brings back the snapshot's keys", async () => {
  const dataDir = join(root, 'var/lib/etcd-restore');
  const dry = await planAction(restoreAction, makeContext({ dryRun: true, runId: 'r42' }), { snapshot, dataDir, manifest });
  assert.deepEqual(errorsOf(dry), [], findingText(dry));
  const text = findingText(dry);
  assert.match(text, /restore tool: etcdctl 3\.\d+\.\d+ at \/\S+ \(ETCDCTL_API=3\); flags: --skip-hash-check yes/);
  assert.match(text, /name = node1 \(manifest .*etcd\.yaml\)/);
  assert.match(text, new RegExp(`initialAdvertisePeerUrls = ${etcd!.peerUrl} \\(manifest`));
  assert.match(text, /initialClusterToken = drbook-r42 \(new for this run/);
  assert.match(text, /warn: etcdctl 3\.4\.\d+ has no --bump-revision\/--mark-compacted .* must be restarted after the restore/);
  const command = dry.changes[0]!.command!.toDisplay();
  assert.equal(
    command,
    `ETCDCTL_API=3 /usr/bin/etcdctl snapshot restore ${snapshot} --name node1 --initial-cluster node1=${etcd!.peerUrl} --initial-advertise-peer-urls ${etcd!.peerUrl} --initial-cluster-token drbook-r42 --data-dir ${dataDir}.partial-r42` +
      ` && mv -- ${dataDir}.partial-r42 ${dataDir}`,
  );
  assert.equal(dry.changes[0]!.undoOnFailure, true);
  await assert.rejects(stat(dataDir), 'the dry-run created nothing');

  // The real restore, as another member URL so it can run beside the live etcd.
  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  const ctx = makeContext({ runId: 'r42' });
  const plan = await planAction(restoreAction, ctx, { snapshot, dataDir, manifest, initialAdvertisePeerUrls: peerUrl, initialCluster: `node1=${peerUrl}` });
  assert.match(findingText(plan), /initialCluster = node1=http:\/\/127\.0\.0\.1:\d+ \(given\)/);
  await applyPlan(ctx, plan);
  assert.deepEqual(await readdir(dataDir), ['member']);

  const restored = await startEtcd({ dataDir, name: 'node1', peerUrl });
  try {
    const keys = (await etcdctl(restored, 'get', '', '--prefix', '--keys-only')).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(keys, [...KEYS, 'not-kubernetes'].sort());
  } finally {
    await restored.stop();
  }

  // Not twice into the same dir; the undo removes exactly that dir.
  const again = await planAction(restoreAction, ctx, { snapshot, dataDir, manifest });
  assert.match(errorsOf(again).join('\n'), /refusing to restore into .*etcd-restore: it is not empty \(member\)/);
  await runUndo(ctx, plan.changes[0]!.undo!);
  await assert.rejects(stat(dataDir));
});

test('restore reads the member from the stash when static-pods.stop moved the manifest; without it, says what is missing', async () => {
  const stashDir = join(root, 'etc/kubernetes/manifests-stash');
  await mkdir(stashDir, { recursive: true });
  await rename(manifest, join(stashDir, 'etcd.yaml'));
  try {
    const dataDir = join(root, 'var/lib/etcd-new');
    const plan = await planAction(restoreAction, makeContext(), { snapshot, dataDir, manifest, stashDir });
    assert.deepEqual(errorsOf(plan), [], findingText(plan));
    assert.match(findingText(plan), /reading the member from .*manifests-stash\/etcd\.yaml \(in the stash\)/);
    const lost = await planAction(restoreAction, makeContext(), { snapshot, dataDir, manifest });
    assert.match(errorsOf(lost).join('\n'), /etcd manifest not found .* give name, initialAdvertisePeerUrls and initialCluster/);
    const mismatch = await planAction(restoreAction, makeContext(), { snapshot, dataDir, manifest, stashDir, initialCluster: 'other=http://10.0.0.9:2380' });
    assert.match(errorsOf(mismatch).join('\n'), /does not list this member \(node1\)/);
  } finally {
    await rename(join(stashDir, 'etcd.yaml'), manifest);
  }
});

test('a restore that fails half-way is undone (undoOnFailure): no partial dir is left', async () => {
  const data = await readFile(snapshot);
  const flipped = Buffer.from(data);
  flipped[6000] = flipped[6000]! ^ 0x01;
  const bad = join(root, 'backup', 'bad-for-restore.db');
  await writeFile(bad, flipped);
  const dataDir = join(root, 'var/lib/etcd-partial');
  const ctx = makeContext();
  // restore's own plan only classifies the file (snapshot-verify hashes it): etcdctl's check catches it.
  const plan = await planAction(restoreAction, ctx, { snapshot: bad, dataDir, manifest });
  assert.deepEqual(errorsOf(plan), []);
  await assert.rejects(applyPlan(ctx, plan), /restore .* exited with 1/);
  await assert.rejects(stat(dataDir), 'the data dir never sees a partial restore');
  assert.ok(await stat(`${dataDir}.partial-r-test`), 'the staging dir holds what etcdctl left');
  await runUndo(ctx, plan.changes[0]!.undo!);
  await assert.rejects(stat(`${dataDir}.partial-r-test`));
});

test("a restore interrupted in the middle is redone by a re-plan (resume): its staging dir is this run's own", async () => {
  const dataDir = join(root, 'var/lib/etcd-resumed');
  const staging = `${dataDir}.partial-r-resume`;
  await mkdir(join(staging, 'member', 'snap'), { recursive: true });
  await writeFile(join(staging, 'member', 'snap', 'db'), 'half a db');
  const ctx = makeContext({ runId: 'r-resume' });
  const peerUrl = 'http://127.0.0.1:12381';
  const plan = await planAction(restoreAction, ctx, { snapshot, dataDir, name: 'x', initialAdvertisePeerUrls: peerUrl, initialCluster: `x=${peerUrl}` });
  assert.deepEqual(errorsOf(plan), []);
  assert.match(findingText(plan), /partial-r-resume is an interrupted restore of this run: it is removed and the restore done again/);
  assert.match(plan.changes[0]!.command!.toDisplay(), /^rm -rf -- \S+partial-r-resume && ETCDCTL_API=3 /);
  await applyPlan(ctx, plan);
  assert.deepEqual(await readdir(dataDir), ['member']);
  await rm(dataDir, { recursive: true });
});

test('restore into an existing empty dir removes it first (etcdctl 3.4 refuses existing dirs)', async () => {
  const dataDir = join(root, 'var/lib/etcd-empty');
  await mkdir(dataDir);
  const peerUrl = 'http://127.0.0.1:12380';
  const ctx = makeContext();
  const plan = await planAction(restoreAction, ctx, { snapshot, dataDir, name: 'x', initialAdvertisePeerUrls: peerUrl, initialCluster: `x=${peerUrl}` });
  assert.match(plan.changes[0]!.command!.toDisplay(), /^ETCDCTL_API=3 .* --data-dir \S+\/etcd-empty\.partial-r-test && rmdir -- \S+\/etcd-empty && mv -- /);
  await applyPlan(ctx, plan);
  assert.deepEqual(await readdir(dataDir), ['member']);
  await rm(dataDir, { recursive: true });
});

test("health over TLS: one member, one leader, key counts equal to the snapshot's", async () => {
  const logs: string[] = [];
  const ctx = makeContext({ logs });
  const plan = await planAction(healthAction, ctx, { manifest, expectedMembers: 1, compareSnapshot: snapshot, compareMode: 'exact', timeout: '10s' });
  assert.deepEqual(errorsOf(plan), [], findingText(plan));
  assert.match(findingText(plan), /snapshot .*snap\.db at revision \d+: 6 keys under \/registry/);
  assert.equal(plan.changes[0]!.readOnly, true);
  await applyPlan(ctx, plan);
  const text = logs.join('\n');
  assert.match(text, /https:\/\/127\.0\.0\.1:\d+: member [0-9a-f]+ \(leader\), revision \d+, etcd 3\.4\.\d+/);
  assert.match(text, /cluster [0-9a-f]+: 1 member\(s\) \(node1\), leader [0-9a-f]+/);
  assert.match(text, /6 keys under \/registry: minions 1, namespaces 2, pods 2, services\/specs 1/);
  assert.match(text, /key counts match the snapshot/);
});

test('health fails on a lost key, on a wrong member count, and on an unreachable endpoint', async () => {
  await etcdctl(etcd!, 'del', '/registry/pods/default/web-2');
  try {
    const ctx = makeContext();
    const lost = await planAction(healthAction, ctx, { manifest, compareSnapshot: snapshot, timeout: '5s' });
    await assert.rejects(applyPlan(ctx, lost), /etcd is healthy but its keys differ from the snapshot .*snap\.db \(no-loss\): pods: 1 now, 2 in the snapshot/);
  } finally {
    await etcdctl(etcd!, 'put', '/registry/pods/default/web-2', 'back');
  }
  const ctx = makeContext();
  const members = await planAction(healthAction, ctx, { manifest, expectedMembers: 3, timeout: '600ms', interval: '200ms' });
  await assert.rejects(applyPlan(ctx, members), /etcd not healthy after 600ms: 1 member\(s\) \(node1\), 3 expected/);
  const port = await freePort();
  const down = await planAction(healthAction, ctx, { manifest, endpoints: [`https://127.0.0.1:${port}`], timeout: '600ms', interval: '200ms' });
  await assert.rejects(applyPlan(ctx, down), new RegExp(`etcd not healthy after 600ms: https://127\\.0\\.0\\.1:${port} is not healthy: nothing listens there`));
});

test('health over two endpoints of different clusters: both named, leaders and revisions compared', async () => {
  const pkiDir = join(root, 'etc/kubernetes/pki/etcd');
  const pki = {
    dir: pkiDir,
    ca: join(pkiDir, 'ca.crt'),
    serverCert: join(pkiDir, 'server.crt'),
    serverKey: join(pkiDir, 'server.key'),
    clientCert: join(pkiDir, 'healthcheck-client.crt'),
    clientKey: join(pkiDir, 'healthcheck-client.key'),
  };
  const stranger = await startEtcd({ dataDir: join(root, 'var/lib/etcd-stranger'), name: 'stranger', pki });
  try {
    const ctx = makeContext();
    const plan = await planAction(healthAction, ctx, { manifest, endpoints: [etcd!.endpoint, stranger.endpoint], sameRevision: true, timeout: '500ms', interval: '200ms' });
    await assert.rejects(applyPlan(ctx, plan), (error: Error) => {
      assert.match(error.message, /the endpoints belong to 2 different clusters/);
      assert.match(error.message, /the members disagree on the leader/);
      assert.match(error.message, /the members are at different revisions: https:\/\/127\.0\.0\.1:\d+ \d+, https:\/\/127\.0\.0\.1:\d+ 1/);
      return true;
    });
  } finally {
    await stranger.stop();
  }
});

test('health plan: missing cert files are errors before anything runs', async () => {
  const plan = await planAction(healthAction, makeContext({ dryRun: true }), { manifest, caFile: '/nonexistent/ca.crt' });
  assert.match(errorsOf(plan).join('\n'), /missing on local: \/nonexistent\/ca\.crt/);
});

// keep the etcd3 import honest: a client over TLS with loaded buffers reads what etcdctl wrote
test('withEtcdClient reads through TLS with client certs held in memory', async () => {
  const pkiDir = join(root, 'etc/kubernetes/pki/etcd');
  const [ca, cert, key] = await Promise.all(['ca.crt', 'healthcheck-client.crt', 'healthcheck-client.key'].map((f) => readFile(join(pkiDir, f))));
  const value = await withEtcdClient({ endpoints: [etcd!.endpoint], ca, cert, key }, (client) => client.get('/registry/minions/node1').string());
  assert.equal(value, 'value of /registry/minions/node1');
});
