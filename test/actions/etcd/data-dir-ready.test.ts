// etcd.data-dir-ready on real directories: the owner etcd runs as (from a kubeadm
// manifest with and without a securityContext runAsUser), mode 0700, the stat probe
// that refuses a dir that is not ready, checks and undo; and the pure owner decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirReadyAction } from '../../../src/actions/etcd/data-dir-ready.js';
import { wantedOwner } from '../../../src/actions/etcd/data-dir-state.js';
import { readVerdict } from '../../../src/actions/check-verdict.js';
import { applyPlan, errorsOf, findingText, makeContext, planAction, runUndo } from '../../etcd/helpers/context.js';
import { REPO_ROOT } from '../../support/fixtures.js';

const KUBEADM = join(REPO_ROOT, 'fixtures/kubeadm/init-etcd.yaml');
const isRoot = process.getuid?.() === 0;

test('wantedOwner: given > the member facts > root; a user without a uid is an error naming what to give', () => {
  assert.deepEqual(wantedOwner('1000:1000', undefined), { uid: 1000, gid: 1000, from: 'given (owner)' });
  assert.match((wantedOwner('etcd', undefined) as { problem: string }).problem, /numeric uid:gid/);
  assert.equal((wantedOwner(undefined, undefined) as { uid: number }).uid, 0);
  const runAs = wantedOwner(undefined, { owner: { uid: 2000, from: 'runAsUser of etcd.yaml' } });
  assert.deepEqual([(runAs as { uid: number }).uid, (runAs as { gid: number }).gid], [2000, 0]);
  assert.match((runAs as { from: string }).from, /no runAsGroup: group 0/);
  assert.match((wantedOwner(undefined, { owner: { user: 'etcd', from: 'User= in etcd.service' } }) as { problem: string }).problem, /etcd runs as etcd .*uid is unknown/);
});

async function tree(t: { after: (fn: () => Promise<void>) => void }, manifestText?: string) {
  const root = await mkdtemp(join(tmpdir(), 'drbook-ddr-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const [manifests, stash, dataDir, keptDir] = ['manifests', 'stash', 'etcd', 'etcd-old'].map((d) => join(root, d));
  for (const d of [manifests, stash, join(dataDir!, 'member/snap'), join(keptDir!, 'member')]) await mkdir(d!, { recursive: true });
  if (manifestText) await writeFile(join(stash!, 'etcd.yaml'), manifestText);
  else await copyFile(KUBEADM, join(stash!, 'etcd.yaml'));
  await writeFile(join(dataDir!, 'member/snap/db'), 'restored');
  await chmod(dataDir!, 0o755);
  return { root, args: { dataDir: dataDir!, keptDir: keptDir!, manifest: join(manifests!, 'etcd.yaml'), stashDir: stash! } };
}

test('kubeadm (no runAsUser: root): a 0755 restored dir gets mode 0700; checks reverted/applied; the undo gives 0755 back', async (t) => {
  const { args } = await tree(t);
  const ctx = makeContext({ runId: 'd1' });
  const plan = await planAction(dataDirReadyAction, ctx, args);
  assert.deepEqual(errorsOf(plan), []);
  assert.match(findingText(plan), /etcd runs as 0:0 \(root: no runAsUser/);
  assert.match(findingText(plan), /SELinux is absent|SELinux is (Disabled|Permissive)/);
  const [owner, probe] = [plan.changes[0]!, plan.changes.at(-1)!];
  assert.equal(plan.changes.length, isRoot ? 2 : 2);
  assert.equal(readVerdict(await ctx.probe(owner.check!)).verdict, 'reverted');
  await assert.rejects(probe.apply!(ctx), /is not ready for etcd: it is 0:0 755 ok .*expected 0:0 700 ok.*not started/);
  if (!isRoot) return t.skip('chown to root needs root');
  await applyPlan(ctx, plan);
  assert.equal((await stat(args.dataDir)).mode & 0o777, 0o700);
  assert.equal(readVerdict(await ctx.probe(owner.check!)).verdict, 'applied');
  assert.equal((await planAction(dataDirReadyAction, ctx, args)).changes.length, 1, 're-planned: only the read-only stat probe is left');
  await runUndo(ctx, owner.undo!);
  assert.equal((await stat(args.dataDir)).mode & 0o777, 0o755);
  assert.equal(readVerdict(await ctx.probe(owner.check!)).verdict, 'reverted');
});

test('a securityContext runAsUser/runAsGroup: the dir and everything the restore wrote get that owner; the kept old dir is not touched', { skip: !isRoot && 'chown needs root' }, async (t) => {
  const text = (await readFile(KUBEADM, 'utf8')).replace(/^(\s*)securityContext:\n(\s*)seccompProfile:/m, '$1securityContext:\n$2runAsGroup: 2002\n$2runAsUser: 2001\n$2seccompProfile:');
  const { args } = await tree(t, text);
  await chown(args.keptDir, 0, 0);
  const ctx = makeContext({ runId: 'd2' });
  const plan = await planAction(dataDirReadyAction, ctx, args);
  assert.deepEqual(errorsOf(plan), []);
  assert.match(findingText(plan), /etcd runs as 2001:2002/);
  await applyPlan(ctx, plan);
  for (const p of [args.dataDir, join(args.dataDir, 'member'), join(args.dataDir, 'member/snap/db')]) {
    const s = await stat(p);
    assert.deepEqual([s.uid, s.gid], [2001, 2002], p);
  }
  assert.equal((await stat(args.keptDir)).uid, 0);
  // The rollback moved the restored dir away (dir.swap's undo): the check says reverted whatever is there now.
  await rm(args.dataDir, { recursive: true });
  await mkdir(join(args.dataDir, 'member'), { recursive: true });
  assert.equal(readVerdict(await ctx.probe(plan.changes[0]!.check!)).verdict, 'reverted');
  await runUndo(ctx, plan.changes[0]!.undo!); // finds nothing of its own: no-op
  assert.equal((await stat(args.dataDir)).uid, 0);
});
