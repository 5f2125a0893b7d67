import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JournalEntry } from '../../src/core/journal-records.js';
import { replayJournal, type ChangeHistory } from '../../src/journal/replay.js';
import { fixtureEntries, header } from './helpers.js';

const keys = (changes: ChangeHistory[]) => changes.map((c) => `${c.stepId}/${c.host}#${c.index}`);

test('clean run: every step done, ended, nothing in flight; undo list newest first without read-only probes', () => {
  const history = replayJournal(fixtureEntries('clean-run'));
  assert.equal(history.header.runId, '20261123T091530Z-3fa9');
  assert.deepEqual(history.plan?.steps.map((s) => s.id), ['prepare', 'swap', 'verify']);
  assert.deepEqual(history.steps.map((s) => [s.id, s.state]), [['prepare', 'done'], ['swap', 'done'], ['verify', 'done']]);
  assert.deepEqual(history.steps.flatMap((s) => s.hosts.map((h) => h.state)), ['done', 'done', 'done']);
  assert.equal(history.ended, true);
  assert.equal(history.end?.state, 'done');
  assert.deepEqual(history.inFlight(), []);
  assert.deepEqual(history.changes.map((c) => c.status), ['ok', 'ok', 'ok']);
  assert.deepEqual(keys(history.changesToRollBack()), ['swap/local#0', 'prepare/local#0']);
  assert.equal(history.hostStep('verify', 'local')?.changes[0]?.result?.durationMs, 1480);
});

test('crashed run: the step in flight, its change without result, and what a rollback must undo', () => {
  const history = replayJournal(fixtureEntries('crashed-run'));
  assert.equal(history.ended, false);
  assert.equal(history.lastAt, '2026-11-23T10:00:10.000Z');
  const inFlight = history.inFlight();
  assert.deepEqual(inFlight.map((h) => `${h.stepId}/${h.host}`), ['restore/m1']);
  assert.deepEqual(inFlight[0]!.changes.map((c) => c.status), ['in-flight']);
  assert.equal(history.step('restore')?.state, 'running');
  assert.equal(history.step('swap')?.state, 'pending', 'a planned step never started');
  // In flight with undoOnFailure: undone too (a partial restore dir); the read-only probe is not.
  assert.deepEqual(keys(history.changesToRollBack()), ['restore/m1#0', 'stop-pods/m1#0']);
  assert.deepEqual(keys(history.stillApplied()), ['stop-pods/m1#0', 'restore/m1#0']);
});

test('rolled-back run: every change undone, including the failed one marked undoOnFailure', () => {
  const history = replayJournal(fixtureEntries('rolled-back'));
  assert.equal(history.end?.state, 'rolled-back');
  assert.equal(history.rollbacks.length, 1);
  assert.equal(history.rollback?.ok, true);
  assert.match(history.rollback?.reason ?? '', /host m2, step restore/);
  assert.deepEqual(history.rollback?.undos.map((u) => `${u.stepId}/${u.host}:${u.ok}`), ['restore/m2:true', 'restore/m1:true', 'stop-pods/m1:true', 'stop-pods/m2:true']);
  const failed = history.hostStep('restore', 'm2')!;
  assert.equal(failed.state, 'failed');
  assert.match(failed.error ?? '', /exit code 1/);
  assert.equal(failed.changes[0]!.status, 'failed');
  assert.equal(failed.changes[0]!.result?.exitCode, 1);
  assert.match(failed.changes[0]!.result?.outputTail ?? '', /integrity check failed/);
  assert.ok(history.changes.every((c) => c.undone), 'every change undone');
  assert.deepEqual(history.changesToRollBack(), []);
  assert.deepEqual(history.stillApplied(), []);
});

test('rollback-failed run: what is left is exactly the host whose undo failed, newest first', () => {
  const history = replayJournal(fixtureEntries('rollback-failed'));
  assert.equal(history.rollback?.ok, false);
  assert.deepEqual(keys(history.changesToRollBack()), ['swap/m2#0', 'restore/m2#0', 'stop-pods/m2#0']);
  const swap = history.hostStep('swap', 'm2')!.changes[0]!;
  assert.equal(swap.status, 'failed');
  assert.equal(swap.undone, false);
  assert.equal(swap.undoAttempts.length, 1);
  assert.equal(swap.undoAttempts[0]!.ok, false);
  assert.match(swap.undoAttempts[0]!.error ?? '', /does not exist/);
  assert.deepEqual(history.undoInFlight(), []);
});

// Hand-built journals for the cases the fixtures do not cover.
let clock = 0;
const at = () => new Date(Date.UTC(2026, 10, 23, 12, 0, 0, clock++)).toISOString();
const intent = (stepId: string, host: string, index: number, extra: Partial<Extract<JournalEntry, { t: 'intent' }>> = {}): JournalEntry => ({
  t: 'intent', at: at(), stepId, host, index, description: `${stepId} ${index}`, undo: { description: `undo ${stepId} ${index}`, command: [{ t: 'lit', v: 'true' }] }, undoOnFailure: false, readOnly: false, ...extra,
});
const result = (stepId: string, host: string, index: number, ok = true): JournalEntry => ({ t: 'result', at: at(), stepId, host, index, ok, durationMs: 5 });
const undoIntent = (stepId: string, host: string, index: number): JournalEntry => ({ t: 'undo-intent', at: at(), stepId, host, index, description: 'undo' });
const undoResult = (stepId: string, host: string, index: number, ok = true): JournalEntry => ({ t: 'undo-result', at: at(), stepId, host, index, ok, durationMs: 3 });

test('in flight without a check nor undoOnFailure may or may not have happened: the rollback looks at it (and cannot undo it blindly)', () => {
  const history = replayJournal([header('r1'), intent('a', 'm1', 0), result('a', 'm1', 0), { t: 'host', at: at(), stepId: 'a', host: 'm1', state: 'done' }, intent('b', 'm1', 0)]);
  assert.deepEqual(keys(history.changesToRollBack()), ['b/m1#0', 'a/m1#0']);
  assert.equal(history.rollbackNeed(history.changes[1]!), 'maybe');
  assert.equal(history.rollbackNeed(history.changes[0]!), 'undo');
  assert.deepEqual(keys(history.stillApplied()), ['a/m1#0', 'b/m1#0']);
  assert.deepEqual(history.inFlight().map((h) => h.stepId), ['b'], 'an intent alone marks its host-step running');
});

test('a failed change without undoOnFailure changed nothing; a change without undo is still listed for the rollback to report', () => {
  const history = replayJournal([header('r1'), intent('a', 'm1', 0, { undo: null }), result('a', 'm1', 0), intent('a', 'm1', 1), result('a', 'm1', 1, false)]);
  const items = history.changesToRollBack();
  assert.deepEqual(keys(items), ['a/m1#0']);
  assert.equal(items[0]!.undo, null);
});

test('undo order is reverse execution per host, with hosts interleaved as parallel steps write them', () => {
  const entries = [header('r1'), intent('s1', 'm1', 0), intent('s1', 'm2', 0), result('s1', 'm2', 0), result('s1', 'm1', 0), intent('s1', 'm1', 1), result('s1', 'm1', 1), intent('s2', 'm2', 0), intent('s2', 'm1', 0), result('s2', 'm1', 0), result('s2', 'm2', 0)];
  const items = replayJournal(entries).changesToRollBack();
  assert.deepEqual(keys(items.filter((c) => c.host === 'm1')), ['s2/m1#0', 's1/m1#1', 's1/m1#0']);
  assert.deepEqual(keys(items.filter((c) => c.host === 'm2')), ['s2/m2#0', 's1/m2#0']);
  assert.deepEqual([...new Set(items.map((c) => c.stepId))], ['s2', 's1'], 'steps in reverse');
});

test('a retried change (same index again) is undone once, the attempt that succeeded', () => {
  const history = replayJournal([header('r1'), intent('a', 'm1', 0), result('a', 'm1', 0, false), intent('a', 'm1', 0), result('a', 'm1', 0), undoIntent('a', 'm1', 0), undoResult('a', 'm1', 0)]);
  assert.deepEqual(history.changes.map((c) => [c.status, c.undone]), [['failed', false], ['ok', true]]);
  assert.deepEqual(history.changesToRollBack(), []);
});

test('an undo cut off by a crash is still to undo, and shows as in flight', () => {
  const history = replayJournal([header('r1'), intent('a', 'm1', 0), result('a', 'm1', 0), { t: 'rollback', at: at(), phase: 'started', reason: 'x' }, undoIntent('a', 'm1', 0)]);
  assert.deepEqual(keys(history.undoInFlight()), ['a/m1#0']);
  assert.deepEqual(keys(history.changesToRollBack()), ['a/m1#0']);
  assert.equal(history.rollback?.ok, undefined);
  assert.equal(history.rollback?.undos[0]?.ok, undefined);
});

test('a later `drbook rollback` finishes what a failed rollback left', () => {
  const entries: JournalEntry[] = [...fixtureEntries('rollback-failed').filter((e) => e.t !== 'end'), { t: 'rollback', at: at(), phase: 'started', reason: 'drbook rollback' }];
  for (const step of ['swap', 'restore', 'stop-pods']) entries.push(undoIntent(step, 'm2', 0), undoResult(step, 'm2', 0));
  entries.push({ t: 'rollback', at: at(), phase: 'finished', ok: true });
  const history = replayJournal(entries);
  assert.equal(history.rollbacks.length, 2);
  assert.equal(history.rollback?.undos.length, 3);
  assert.deepEqual(history.changesToRollBack(), []);
  assert.equal(history.hostStep('swap', 'm2')!.changes[0]!.undoAttempts.length, 2);
});

test('a resume updates the live pid; steps without step entries take their hosts\' state', () => {
  const entries: JournalEntry[] = [
    header('r1'),
    { t: 'host', at: at(), stepId: 'a', host: 'm1', state: 'running' },
    { t: 'host', at: at(), stepId: 'a', host: 'm1', state: 'done' },
    { t: 'host', at: at(), stepId: 'a', host: 'm2', state: 'skipped' },
    { t: 'resumed', at: at(), pid: 777 },
    { t: 'host', at: at(), stepId: 'b', host: 'm1', state: 'failed', error: 'boom' },
  ];
  const history = replayJournal(entries);
  assert.equal(history.pid, 777);
  assert.deepEqual(history.steps.map((s) => s.state), ['done', 'failed']);
  assert.equal(history.hostStep('b', 'm1')?.error, 'boom');
});

test('a host-step whose last change finished but whose end was never written is still in flight', () => {
  const history = replayJournal([header('r1'), intent('a', 'm1', 0), result('a', 'm1', 0)]);
  assert.deepEqual(history.inFlight().map((h) => `${h.stepId}/${h.host}`), ['a/m1'], 'resume must re-probe it: more changes may have followed');
  assert.deepEqual(history.inFlight()[0]!.changes.map((c) => c.status), ['ok']);
});
