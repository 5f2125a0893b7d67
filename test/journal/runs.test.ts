import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { JournalWriter, readJournal } from '../../src/journal/journal.js';
import { replayJournal } from '../../src/journal/replay.js';
import { deriveRunState, listRuns } from '../../src/journal/runs.js';
import { deadPid, fixtureEntries, header, installFixture, tempStateDir } from './helpers.js';

const onOpsLaptop = { machine: 'ops-laptop', isAlive: () => false };

test('no state dir yet: no runs', async (t) => {
  const stateDir = await tempStateDir(t);
  assert.deepEqual(await listRuns(join(stateDir, 'missing')), []);
});

test('the fixture runs, newest first, with their states and what can be done next', async (t) => {
  const stateDir = await tempStateDir(t);
  for (const name of ['clean-run', 'crashed-run', 'rolled-back', 'rollback-failed'] as const) await installFixture(stateDir, name);
  const runs = await listRuns(stateDir, onOpsLaptop);
  assert.deepEqual(
    runs.map((r) => [r.runId, r.state, r.canResume, r.canRollback]),
    [
      ['20261125T030000Z-e9d1', 'rollback-failed', false, true],
      ['20261124T141500Z-a2b4', 'rolled-back', false, false],
      ['20261123T100000Z-7c01', 'crashed', true, true],
      ['20261123T091530Z-3fa9', 'done', false, false],
    ],
  );
  const crashed = runs[2]!;
  assert.equal(crashed.endedAt, undefined);
  assert.equal(crashed.lastActivityAt, '2026-11-23T10:00:10.000Z');
  assert.match(crashed.note ?? '', /process 41002 is gone/);
  assert.deepEqual(crashed.runbook, { name: 'etcd-restore', file: 'runbooks/etcd-restore.yaml' });
  assert.deepEqual(runs[1]!.hosts, ['m1', 'm2']);
  assert.equal(runs[0]!.endedAt, '2026-11-25T03:00:20.180Z');
  assert.match(runs[0]!.error ?? '', /EXDEV/);
});

test('a run without an end whose process lives is running, and cannot be resumed or rolled back under it', () => {
  const history = replayJournal(fixtureEntries('crashed-run'));
  const checked: number[] = [];
  const state = deriveRunState(history, { machine: 'ops-laptop', isAlive: (pid) => (checked.push(pid), true) });
  assert.equal(state, 'running');
  assert.deepEqual(checked, [41002]);
});

test('a run from another machine cannot be checked: listed as running, with a note saying why', async (t) => {
  const stateDir = await tempStateDir(t);
  await installFixture(stateDir, 'crashed-run');
  const [run] = await listRuns(stateDir, { machine: 'other-box', isAlive: () => false });
  assert.equal(run!.state, 'running');
  assert.equal(run!.canRollback, false);
  assert.match(run!.note ?? '', /started on ops-laptop.*cannot be checked from other-box/);
});

test("real liveness: this process's run is running, a run whose process exited is crashed", async (t) => {
  const stateDir = await tempStateDir(t);
  const live = await JournalWriter.create(stateDir, { ...header('20261201T000000Z-1111'), machine: hostname() });
  t.after(() => live.close());
  const pid = await deadPid();
  const dead = await JournalWriter.create(stateDir, { ...header('20261201T000000Z-2222'), machine: hostname(), pid });
  await dead.write({
    t: 'intent',
    at: '2026-12-01T00:00:01.000Z',
    stepId: 's',
    host: 'm1',
    index: 0,
    description: 'd',
    undo: { description: 'u', command: [] },
    undoOnFailure: false,
    readOnly: false,
  });
  await dead.write({ t: 'result', at: '2026-12-01T00:00:02.000Z', stepId: 's', host: 'm1', index: 0, ok: true, durationMs: 1 });
  await dead.close();
  const runs = await listRuns(stateDir);
  const byId = new Map(runs.map((r) => [r.runId, r]));
  assert.equal(byId.get('20261201T000000Z-1111')!.state, 'running');
  assert.equal(byId.get('20261201T000000Z-2222')!.state, 'crashed');
  assert.equal(byId.get('20261201T000000Z-2222')!.canResume, true);
  assert.equal(byId.get('20261201T000000Z-2222')!.canRollback, true);
});

test('a run that failed without rollback can be resumed or rolled back; a dry-run neither', async (t) => {
  const stateDir = await tempStateDir(t);
  const failed = await JournalWriter.create(stateDir, { ...header('20261201T000000Z-3333'), rollbackOnFailure: false });
  await failed.write({
    t: 'intent',
    at: '2026-12-01T00:00:01.000Z',
    stepId: 's',
    host: 'm1',
    index: 0,
    description: 'd',
    undo: { description: 'u', command: [] },
    undoOnFailure: false,
    readOnly: false,
  });
  await failed.write({ t: 'result', at: '2026-12-01T00:00:02.000Z', stepId: 's', host: 'm1', index: 0, ok: true, durationMs: 1 });
  await failed.write({ t: 'end', at: '2026-12-01T00:00:03.000Z', state: 'failed', exitCode: 3, error: 'step t failed' });
  await failed.close();
  const plan = await JournalWriter.create(stateDir, { ...header('20261201T000000Z-4444'), dryRun: true });
  await plan.write({ t: 'end', at: '2026-12-01T00:00:03.000Z', state: 'planned', exitCode: 0 });
  await plan.close();
  const runs = await listRuns(stateDir);
  assert.deepEqual(
    runs.map((r) => [r.runId, r.state, r.canResume, r.canRollback]),
    [
      ['20261201T000000Z-4444', 'planned', false, false],
      ['20261201T000000Z-3333', 'failed', true, true],
    ],
  );
  assert.equal((await readJournal(stateDir, '20261201T000000Z-3333')).length, 4);
});

test('an unreadable journal is listed as such and does not hide the other runs', async (t) => {
  const stateDir = await tempStateDir(t);
  await installFixture(stateDir, 'clean-run');
  await mkdir(join(stateDir, 'runs', '20261130T000000Z-bad0'), { recursive: true });
  await writeFile(join(stateDir, 'runs', '20261130T000000Z-bad0', 'journal.jsonl'), 'garbage\n{"t":"end"}\n');
  const runs = await listRuns(stateDir, onOpsLaptop);
  assert.deepEqual(
    runs.map((r) => [r.runId, r.state]),
    [
      ['20261123T091530Z-3fa9', 'done'],
      ['20261130T000000Z-bad0', 'unreadable'],
    ],
  );
  assert.match(runs[1]!.error ?? '', /journal\.jsonl:1: corrupt journal entry/);
});

test('a run killed before its first change says nothing was applied (a read-only check does not count); one with a change does not', async (t) => {
  const stateDir = await tempStateDir(t);
  const pid = await deadPid();
  const early = await JournalWriter.create(stateDir, { ...header('20261201T000000Z-5555'), machine: hostname(), pid });
  await early.write({ t: 'intent', at: '2026-12-01T00:00:01.000Z', stepId: 'verify', host: 'm1', index: 0, description: 'check', undo: null, undoOnFailure: false, readOnly: true });
  await early.close();
  const changed = await JournalWriter.create(stateDir, { ...header('20261201T000000Z-6666'), machine: hostname(), pid });
  await changed.write({ t: 'intent', at: '2026-12-01T00:00:01.000Z', stepId: 's', host: 'm1', index: 0, description: 'd', undo: null, undoOnFailure: false, readOnly: false });
  await changed.close();
  const byId = new Map((await listRuns(stateDir)).map((r) => [r.runId, r]));
  assert.equal(byId.get('20261201T000000Z-5555')!.state, 'crashed');
  assert.match(byId.get('20261201T000000Z-5555')!.note ?? '', /process \d+ is gone.*; nothing was applied \(it stopped before its first change\)/);
  // Still offered: `drbook rollback` probes nothing, gives the run its end (failed, nothing applied) and removes its markers.
  assert.equal(byId.get('20261201T000000Z-5555')!.canRollback, true);
  assert.doesNotMatch(byId.get('20261201T000000Z-6666')!.note ?? '', /nothing was applied/);
});
