// etcd.quota and its pure decisions: how much quota a restored db needs, when the
// manifest's (or etcd's default) is too small, the one-line edit of a real kubeadm
// manifest (fixtures/kubeadm/init-etcd.yaml, a kubeadm 1.32 master's etcd.yaml), and the
// action on real files: the stashed manifest edited, its check, and the undo that puts
// the original back byte-identical wherever the edited file is by then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideQuota, neededQuota, setQuotaFlag, MIB } from '../../../src/actions/etcd/quota-edit.js';
import { quotaAction } from '../../../src/actions/etcd/quota.js';
import { parseEtcdManifest } from '../../../src/etcd/manifest.js';
import { readVerdict } from '../../../src/actions/check-verdict.js';
import { applyPlan, errorsOf, findingText, makeContext, planAction, runUndo } from '../../etcd/helpers/context.js';
import { REPO_ROOT } from '../../support/fixtures.js';

const KUBEADM = join(REPO_ROOT, 'fixtures/kubeadm/init-etcd.yaml');
const GIB = 1024 ** 3;

test('the quota a restore needs: the snapshot plus a quarter (at least 256 MiB), in whole MiB', () => {
  assert.equal(neededQuota(100 * MIB), 356 * MIB);
  assert.equal(neededQuota(4 * GIB), 5 * GIB);
  assert.equal(neededQuota(4 * GIB + 1) % MIB, 0);
  assert.ok(neededQuota(4 * GIB + 1) > 4 * GIB + 1);
});

test('decideQuota: the default 2 GiB holds a small snapshot; a 3 GiB snapshot needs more; a disabled quota needs nothing', () => {
  const byDefault = { bytes: 2 * GIB, isDefault: true, from: "etcd's default (2 GiB)" };
  assert.equal(decideQuota(byDefault, 50 * MIB).change, false);
  const big = decideQuota(byDefault, 3 * GIB);
  assert.equal(big.change, true);
  assert.ok(big.change && big.bytes >= 3 * GIB + 256 * MIB);
  assert.match(big.reason, /etcd's default quota \(2 GiB\) is smaller than the snapshot \(3 GiB\)/);
  // Above the snapshot but without the room for the writes after it: still raised.
  const close = decideQuota({ bytes: 100 * MIB, isDefault: false, from: '--quota-backend-bytes in m' }, 90 * MIB);
  assert.ok(close.change);
  assert.match(close.reason, /too close to/);
  assert.equal(decideQuota({ bytes: null, isDefault: false, from: '--quota-backend-bytes=-1' }, 9 * GIB).change, false);
});

test("setQuotaFlag on a real kubeadm manifest: one line inserted in kubeadm's flag order, every other line unchanged; an existing flag replaced", async () => {
  const text = await readFile(KUBEADM, 'utf8');
  const edited = setQuotaFlag(text, 3 * GIB);
  const [a, b] = [text.split('\n'), edited.split('\n')];
  assert.equal(b.length, a.length + 1);
  const at = b.findIndex((l) => l.includes('--quota-backend-bytes'));
  assert.equal(b[at], '    - --quota-backend-bytes=3221225472');
  assert.match(b[at - 1]!, /--peer-trusted-ca-file/);
  assert.match(b[at + 1]!, /--snapshot-count/);
  assert.deepEqual([...b.slice(0, at), ...b.slice(at + 1)], a);
  const before = parseEtcdManifest(text, 'x').flags;
  const after = parseEtcdManifest(edited, 'x').flags;
  assert.deepEqual(after, { ...before, 'quota-backend-bytes': '3221225472' });
  const again = setQuotaFlag(edited, 4 * GIB);
  assert.equal(again.split('\n').length, b.length);
  assert.equal(parseEtcdManifest(again, 'x').flags['quota-backend-bytes'], String(4 * GIB));
  assert.throws(() => setQuotaFlag('spec:\n  containers:\n  - command: ["etcd", "--name=x"]\n', GIB), /one item per line/);
});

async function tree(t: { after: (fn: () => Promise<void>) => void }, snapshotBytes: number) {
  const root = await mkdtemp(join(tmpdir(), 'drbook-quota-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const manifests = join(root, 'manifests');
  const stash = join(root, 'stash');
  await mkdir(manifests);
  await mkdir(stash);
  await copyFile(KUBEADM, join(stash, 'etcd.yaml'));
  const snapshot = join(root, 'snap.db');
  await writeFile(snapshot, '');
  await truncate(snapshot, snapshotBytes); // sparse: the size is what counts
  return { root, manifests, stash, snapshot, args: { snapshot, manifest: join(manifests, 'etcd.yaml'), stashDir: stash } };
}

test('a snapshot bigger than the default quota: the stashed manifest gets the quota; the check follows it into the manifests folder; the undo brings back the original byte for byte', async (t) => {
  const { manifests, stash, args } = await tree(t, 2 * GIB + 10 * MIB);
  const original = await readFile(join(stash, 'etcd.yaml'));
  const ctx = makeContext({ runId: 'q1' });
  const plan = await planAction(quotaAction, ctx, args);
  assert.deepEqual(errorsOf(plan), []);
  assert.match(findingText(plan), /smaller than the snapshot/);
  assert.equal(plan.changes.length, 1);
  const change = plan.changes[0]!;
  const verdict = async () => readVerdict(await ctx.probe(change.check!)).verdict;
  assert.equal(await verdict(), 'reverted');
  await applyPlan(ctx, plan);
  assert.equal(await verdict(), 'applied');
  const edited = parseEtcdManifest(await readFile(join(stash, 'etcd.yaml'), 'utf8'), 'x');
  assert.ok(Number(edited.flags['quota-backend-bytes']) >= 2 * GIB + 10 * MIB);
  assert.deepEqual(await readFile(join(stash, 'etcd.yaml.before-quota')), original, 'the original is kept beside it');
  assert.equal(((await stat(join(stash, 'etcd.yaml'))).mode & 0o777).toString(8), ((await stat(join(stash, 'etcd.yaml.before-quota'))).mode & 0o777).toString(8));
  // Re-planned (a resume): nothing left to do.
  assert.equal((await planAction(quotaAction, ctx, args)).changes.length, 0);
  // static-pods.start moved it back; then a rollback.
  await rename(join(stash, 'etcd.yaml'), join(manifests, 'etcd.yaml'));
  assert.equal(await verdict(), 'applied');
  await runUndo(ctx, change.undo!);
  assert.deepEqual(await readFile(join(manifests, 'etcd.yaml')), original, 'byte-identical');
  assert.equal(await verdict(), 'reverted');
  await assert.rejects(stat(join(stash, 'etcd.yaml.before-quota')), /ENOENT/, 'the kept copy goes with the undo');
  await runUndo(ctx, change.undo!); // idempotent
  assert.deepEqual(await readFile(join(manifests, 'etcd.yaml')), original);
});

test('a small snapshot: nothing to change, the plan says the quota holds it', async (t) => {
  const { args } = await tree(t, 5 * MIB);
  const plan = await planAction(quotaAction, makeContext(), args);
  assert.equal(plan.changes.length, 0);
  assert.match(findingText(plan), /ok: etcd's default quota \(2 GiB\) holds the snapshot/);
});
