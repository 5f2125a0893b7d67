// The single-master restore (runbooks/etcd-restore.yaml) against a hostile environment,
// on real sandboxes, judged on the hosts (support/settle.ts): a full state dir (a tiny
// tmpfs as --state-dir: the journal cannot be written), a full disk during the restore
// (the sandbox itself on a small tmpfs, filled before the run), SIGINT and SIGTERM in
// the middle of a step, and a second signal during the rollback. The tmpfs cases need
// root (mount): otherwise they are skipped with the reason printed. Every mount is the
// test's own, in its own temp folder, unmounted after.
// npm test runs the second signal (after a first SIGINT) and the full state dir; DRBOOK_FAULTS=full adds the rest.
// Loopback prefixes: 127.0.182. (the sandbox of the signals and the state dir), 127.0.183. (the sandbox on a tmpfs)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FULL, newFigures, printFigures } from './support/figures.js';
import { BEFORE_KEY, healthy, observeBefore } from './support/kill-case.js';
import { settle } from './support/settle.js';
import { saveSnapshot, startTarget, stopTarget, type Target } from './support/target.js';
import { fillLeaving, mountSkipReason, mountTmpfs, unmount, watchRun } from './support/watched-run.js';

let target: Target | undefined;
let snapshot = '';
before(async () => {
  target = await startTarget('127.0.182.', false);
  const put = await target.etcdctl(['put', BEFORE_KEY, 'in the snapshot']);
  assert.equal(put.exitCode, 0, put.stderr);
  snapshot = await saveSnapshot(target, join(target.base, 'good.db'));
});
after(async () => {
  if (target) await stopTarget(target);
});

const changeStarted = (stepId: string, match?: RegExp) => (e: Record<string, any>) => e.type === 'change.started' && e.stepId === stepId && (!match || match.test(String(e.description)));

async function signalled(name: string, first: NodeJS.Signals, at: (e: Record<string, any>) => boolean, second?: NodeJS.Signals): Promise<string[]> {
  const sbx = target!;
  assert.ok(await healthy(sbx), 'the cluster is healthy before the case');
  const figures = newFigures(`signals ${name} ${sbx.label}`);
  const b = await observeBefore(sbx, name.replace(/\W+/g, '-'));
  const stateDir = join(sbx.base, `state-${name.replace(/\W+/g, '-')}`);
  const run = watchRun(sbx.runArgs(stateDir, snapshot), sbx.env);
  await run.event(at);
  await new Promise((r) => setTimeout(r, 150));
  run.signal(first);
  if (second) {
    await run.event((e) => e.type === 'undo.started');
    run.signal(second);
  }
  const result = await run.done;
  const problems = await settle(sbx, figures, name, b, stateDir, result, { expect: second ? [3] : [130] });
  printFigures(figures);
  return problems;
}

test(
  'SIGINT while the stop waits for the pods: the rollback is verified, exit 130, the hosts as before',
  { skip: !FULL && 'sampled run (the second-signal case starts with the same SIGINT; DRBOOK_FAULTS=full runs it)' },
  async () => {
    assert.deepEqual(await signalled('SIGINT mid-stop', 'SIGINT', changeStarted('stop-control-plane', /wait/i)), []);
  },
);

test('SIGTERM while the restore runs: exit 130, the hosts as before', { skip: !FULL && 'sampled run (DRBOOK_FAULTS=full runs it)' }, async () => {
  assert.deepEqual(await signalled('SIGTERM mid-restore', 'SIGTERM', changeStarted('restore')), []);
});

test('a second signal during the rollback: exit 3 (changes remain), and `drbook rollback` then brings the hosts back', async () => {
  assert.deepEqual(await signalled('SIGINT then SIGTERM during rollback', 'SIGINT', changeStarted('swap-data-dir'), 'SIGTERM'), []);
});

for (const leave of FULL ? [8 * 1024, 24 * 1024, 40 * 1024] : [24 * 1024]) {
  test(`a full state dir (a tmpfs with ${leave / 1024} KiB free as --state-dir): the run stops, its exit code says what the hosts are in, and a later rollback recovers`, async (t) => {
    const skip = mountSkipReason();
    if (skip) {
      console.log(`faults: full state dir: ${skip}`);
      return t.skip(skip);
    }
    const sbx = target!;
    assert.ok(await healthy(sbx), 'the cluster is healthy before the case');
    const figures = newFigures(`full-state-dir ${leave / 1024}KiB ${sbx.label}`);
    const mountPoint = await mkdtemp(join(sbx.base, 'state-tmpfs-'));
    await mountTmpfs(mountPoint, '1m');
    t.after(() => unmount(mountPoint));
    const filler = join(mountPoint, 'filler');
    await fillLeaving(mountPoint, filler, leave);
    const stateDir = join(mountPoint, 'state');
    const b = await observeBefore(sbx, `full-state-${leave}`);
    const run = watchRun(sbx.runArgs(stateDir, snapshot), sbx.env);
    const result = await run.done;
    const problems = await settle(sbx, figures, `full state dir ${leave}`, b, stateDir, result, { fix: () => rm(filler, { force: true }), expect: [1, 3] });
    printFigures(figures);
    assert.deepEqual(problems, []);
  });
}

test(
  'a full disk during the restore (the sandbox on a small tmpfs, filled before the run): the restore fails, the rollback is verified, exit 1',
  { skip: !FULL && 'sampled run (DRBOOK_FAULTS=full runs it)' },
  async (t) => {
    const skip = mountSkipReason();
    if (skip) {
      console.log(`faults: full disk: ${skip}`);
      return t.skip(skip);
    }
    const base = await mkdtemp(join(tmpdir(), 'drbook-faults-disk-'));
    const dir = join(base, 'sbx');
    await mkdir(dir);
    await mountTmpfs(dir, '400m');
    let sbx: Target | undefined;
    t.after(async () => {
      // Cleanup: the test may have stopped the target already.
      if (sbx) await stopTarget(sbx).catch(() => undefined);
      await unmount(dir);
      await rm(base, { recursive: true, force: true });
    });
    sbx = await startTarget('127.0.183.', false, { base, dir });
    const put = await sbx.etcdctl(['put', BEFORE_KEY, 'in the snapshot']);
    assert.equal(put.exitCode, 0, put.stderr);
    const snap = await saveSnapshot(sbx, join(base, 'good.db')); // outside the tmpfs
    const figures = newFigures(`full-disk ${sbx.label}`);
    const b = await observeBefore(sbx, 'full-disk');
    // The live etcd writes into its preallocated WAL segment; a restore needs a new 64 MiB one.
    await fillLeaving(dir, join(dir, 'filler'), 8 * 1024 * 1024);
    const stateDir = join(base, 'state');
    const run = watchRun(sbx.runArgs(stateDir, snap), sbx.env);
    const result = await run.done;
    const problems = await settle(sbx, figures, 'full disk during the restore', b, stateDir, result, { fix: () => rm(join(dir, 'filler'), { force: true }), expect: [1] });
    printFigures(figures);
    assert.deepEqual(problems, []);
  },
);
