// dir.swap on real directories: its checks through the swap and back, a swap cut off
// between its moves (re-planned: the rest is finished; rolled back: the ORIGINAL dir
// comes back, never a new one), and a swap whose owner and mode were not given yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirSwapAction } from '../../../src/actions/core/dir-swap.js';
import { readVerdict } from '../../../src/actions/check-verdict.js';
import type { ActionPlan } from '../../../src/core/action.js';
import { applyPlan, errorsOf, findingText, makeContext, planAction, runUndo } from '../../etcd/helpers/context.js';

const ctx = makeContext({ runId: 'r1' });

async function makeTree(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await mkdtemp(join(tmpdir(), 'drbook-swap-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const args = { current: join(root, 'etcd'), replacement: join(root, 'etcd-restore'), keepAs: join(root, 'etcd-old') };
  await mkdir(join(args.current, 'member'), { recursive: true });
  await writeFile(join(args.current, 'member/db'), 'old');
  await chmod(args.current, 0o700);
  await mkdir(join(args.replacement, 'member'), { recursive: true });
  await writeFile(join(args.replacement, 'member/db'), 'new');
  await chmod(args.replacement, 0o755);
  return { root, args };
}

const verdicts = async (plan: ActionPlan) => Promise.all(plan.changes.map(async (c) => readVerdict(await ctx.probe(c.check!)).verdict));

test("the swap's checks: reverted before, applied after, reverted after the undos; the original dir comes back itself", async (t) => {
  const { args } = await makeTree(t);
  const inode = (await stat(args.current)).ino;
  const plan = await planAction(dirSwapAction, ctx, args);
  assert.deepEqual(errorsOf(plan), []);
  assert.equal(plan.changes.length, 3);
  assert.deepEqual(await verdicts(plan), ['reverted', 'reverted', 'reverted']);
  await applyPlan(ctx, plan);
  assert.deepEqual(await verdicts(plan), ['applied', 'applied', 'applied']);
  assert.equal((await stat(args.current)).mode & 0o777, 0o700);
  for (const undo of plan.changes.map((c) => c.undo).reverse()) await runUndo(ctx, undo!);
  assert.deepEqual(await verdicts(plan), ['reverted', 'reverted', 'reverted']);
  assert.equal((await stat(args.current)).ino, inode);
  assert.equal((await stat(args.replacement)).mode & 0o777, 0o755, 'the replacement has its own mode again');
});

test('cut off after the first move: re-planned, it finishes the swap; rolled back instead, the undo puts the original back and never moves it INTO a new dir', async (t) => {
  const { args } = await makeTree(t);
  const inode = (await stat(args.current)).ino;
  const plan = await planAction(dirSwapAction, ctx, args);
  await rename(args.current, args.keepAs); // the first move only
  assert.deepEqual(await verdicts(plan), ['applied', 'reverted', 'reverted']);

  // Something (etcd started on nothing) made a NEW dir where the old one was: the undo refuses, the check says not reverted.
  await mkdir(args.current);
  const keep = plan.changes[0]!;
  await assert.rejects(runUndo(ctx, keep.undo!), /exists: not moving/);
  assert.deepEqual(await readdir(args.current), [], 'nothing moved into it');
  assert.equal(readVerdict(await ctx.probe(keep.check!)).verdict, 'applied', 'the original is still kept aside: its undo is still due');
  await rm(args.current, { recursive: true });

  const resumed = await planAction(dirSwapAction, ctx, args);
  assert.match(findingText(resumed), /was already moved to .*etcd-old; the replacement is still to move/);
  await applyPlan(ctx, resumed);
  assert.equal((await stat(args.keepAs)).ino, inode);
  assert.deepEqual(await verdicts(resumed), ['applied', 'applied']);
  for (const undo of [keep, ...resumed.changes].map((c) => c.undo).reverse()) await runUndo(ctx, undo!);
  assert.equal((await stat(args.current)).ino, inode, 'the original data dir, itself');
});

test('swapped but the owner and mode not given yet (cut off before the last change): the re-plan gives them', async (t) => {
  const { args } = await makeTree(t);
  await rename(args.current, args.keepAs);
  await rename(args.replacement, args.current);
  const plan = await planAction(dirSwapAction, ctx, args);
  assert.equal(plan.changes.length, 1, findingText(plan));
  assert.match(plan.changes[0]!.description, /owner and mode|mode/);
  await applyPlan(ctx, plan);
  assert.equal((await stat(args.current)).mode & 0o777, 0o700);
  const again = await planAction(dirSwapAction, ctx, args);
  assert.deepEqual(again.changes, []);
  assert.match(findingText(again), /already swapped/);
});
