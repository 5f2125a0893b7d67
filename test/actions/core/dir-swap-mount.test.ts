// dir.swap of a data dir that is a mount point, on a real tmpfs mounted by the test in
// its own temp dir (root only; skipped with the reason otherwise): the contents are
// swapped on the mount, the old ones kept in .drbook-old-<run id>; checks and undo;
// re-planning after a cut-off finishes what is left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirSwapAction } from '../../../src/actions/core/dir-swap.js';
import { isMountPoint } from '../../../src/actions/core/mount-point.js';
import { readVerdict } from '../../../src/actions/check-verdict.js';
import type { ActionPlan } from '../../../src/core/action.js';
import { applyPlan, errorsOf, makeContext, planAction, runUndo } from '../../etcd/helpers/context.js';

const ctx = makeContext({ runId: 'm1' });

function canMount(): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  return undefined;
}

async function mounted(t: { after: (fn: () => Promise<void>) => void; skip: (why: string) => void }) {
  const root = await mkdtemp(join(tmpdir(), 'drbook-mount-'));
  const dataDir = join(root, 'etcd');
  await mkdir(dataDir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'drbook-test', dataDir], { stdio: 'pipe' });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    return { skipped: `cannot mount a tmpfs here: ${(error as Error).message.split('\n')[0]}` };
  }
  t.after(async () => {
    execFileSync('umount', [dataDir]);
    await rm(root, { recursive: true, force: true });
  });
  await mkdir(join(dataDir, 'member/snap'), { recursive: true });
  await writeFile(join(dataDir, 'member/snap/db'), 'old');
  await mkdir(join(dataDir, 'lost+found'));
  const replacement = join(dataDir, '.drbook-restore-m1');
  await mkdir(join(replacement, 'member/snap'), { recursive: true });
  await writeFile(join(replacement, 'member/snap/db'), 'new');
  const args = { current: dataDir, replacement: `${dataDir}-restore-m1`, keepAs: `${dataDir}-old-m1`, mountReplacement: replacement, mountKeepAs: join(dataDir, '.drbook-old-m1') };
  return { dataDir, args };
}

const verdicts = async (plan: ActionPlan) => Promise.all(plan.changes.map(async (c) => readVerdict(await ctx.probe(c.check!)).verdict));

test('a mount-point data dir: contents swapped on the mount, etcd sees the restored member/, the old one kept; undo puts it all back', { skip: canMount() }, async (t) => {
  const m = await mounted(t);
  if ('skipped' in m) return t.skip(m.skipped);
  const { dataDir, args } = m;
  assert.equal(await isMountPoint(ctx, dataDir), true);
  assert.equal(await isMountPoint(ctx, join(dataDir, 'member')), false);
  const plan = await planAction(dirSwapAction, ctx, args);
  assert.deepEqual(errorsOf(plan), []);
  assert.deepEqual(
    plan.changes.map((c) => c.description.split(' ')[0]),
    ['create', 'keep', 'move', 'remove'],
  );
  assert.deepEqual(await verdicts(plan), ['reverted', 'reverted', 'reverted', 'reverted']);
  await applyPlan(ctx, plan);
  assert.deepEqual(await verdicts(plan), ['applied', 'applied', 'applied', 'applied']);
  assert.equal(await readFile(join(dataDir, 'member/snap/db'), 'utf8'), 'new');
  assert.equal(await readFile(join(dataDir, '.drbook-old-m1/member/snap/db'), 'utf8'), 'old');
  assert.deepEqual((await readdir(dataDir)).sort(), ['.drbook-old-m1', 'lost+found', 'member']);
  assert.equal((await planAction(dirSwapAction, ctx, args)).changes.length, 0, 'a second plan: already swapped');
  for (const c of [...plan.changes].reverse()) await runUndo(ctx, c.undo!);
  assert.deepEqual(await verdicts(plan), ['reverted', 'reverted', 'reverted', 'reverted']);
  assert.equal(await readFile(join(dataDir, 'member/snap/db'), 'utf8'), 'old');
  assert.equal(await readFile(join(args.mountReplacement, 'member/snap/db'), 'utf8'), 'new');
  assert.deepEqual((await readdir(dataDir)).sort(), ['.drbook-restore-m1', 'lost+found', 'member']);
});

test('cut off after the old contents were kept: re-planned, only the restored member moves in', { skip: canMount() }, async (t) => {
  const m = await mounted(t);
  if ('skipped' in m) return t.skip(m.skipped);
  const { dataDir, args } = m;
  await mkdir(args.mountKeepAs);
  await rename(join(dataDir, 'member'), join(args.mountKeepAs, 'member'));
  const plan = await planAction(dirSwapAction, ctx, args);
  assert.deepEqual(errorsOf(plan), []);
  assert.deepEqual(
    plan.changes.map((c) => c.description.split(' ')[0]),
    ['move', 'remove'],
  );
  await applyPlan(ctx, plan);
  assert.equal(await readFile(join(dataDir, 'member/snap/db'), 'utf8'), 'new');
  assert.equal(await readFile(join(args.mountKeepAs, 'member/snap/db'), 'utf8'), 'old');
});
