import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JournalEntry } from '../../src/core/journal-records.js';
import { replayJournal, type ChangeHistory } from '../../src/journal/replay.js';
import { parseJournal } from '../../src/journal/parse-journal.js';
import { fixtureEntries, header } from './helpers.js';

const keys = (changes: ChangeHistory[]) => changes.map((c) => `${c.stepId}/${c.host}#${c.index}`);

test('clean run: every step done, ended, nothing in flight; undo list newest first without read-only probes', () => {
  const history = replayJournal(fixtureEntries('clean-run'));
  assert.equal(history.header.runId, '20261123T091530Z-3fa9');
  assert.deepEqual(
    history.plan?.steps.map((s) => s.id),
    ['prepare', 'swap', 'verify'],
  );
  assert.deepEqual(
    history.steps.map((s) => [s.id, s.state]),
    [
      ['prepare', 'done'],
      ['swap', 'done'],
      ['verify', 'done'],
    ],
  );
  assert.deepEqual(
    history.steps.flatMap((s) => s.hosts.map((h) => h.state)),
    ['done', 'done', 'done'],
  );
  assert.equal(history.ended, true);
  assert.equal(history.end?.state, 'done');
  assert.deepEqual(history.inFlight(), []);
  assert.deepEqual(
    history.changes.map((c) => c.status),
    ['ok', 'ok', 'ok'],
  );
  assert.deepEqual(keys(history.changesToRollBack()), ['swap/local#0', 'prepare/local#0']);
  assert.equal(history.hostStep('verify', 'local')?.changes[0]?.result?.durationMs, 1480);
});

test('crashed run: the step in flight, its change without result, and what a rollback must undo', () => {
  const history = replayJournal(fixtureEntries('crashed-run'));
  assert.equal(history.ended, false);
  assert.equal(history.lastAt, '2026-11-23T10:00:10.000Z');
  const inFlight = history.inFlight();
  assert.deepEqual(
    inFlight.map((h) => `${h.stepId}/${h.host}`),
    ['restore/m1'],
  );
  assert.deepEqual(
    inFlight[0]!.changes.map((c) => c.status),
    ['in-flight'],
  );
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
  assert.deepEqual(
    history.rollback?.undos.map((u) => `${u.stepId}/${u.host}:${u.ok}`),
    ['restore/m2:true', 'restore/m1:true', 'stop-pods/m1:true', 'stop-pods/m2:true'],
  );
  const failed = history.hostStep('restore', 'm2')!;
  assert.equal(failed.state, 'failed');
  assert.match(failed.error ?? '', /exit code 1/);
  assert.equal(failed.changes[0]!.status, 'failed');
  assert.equal(failed.changes[0]!.result?.exitCode, 1);
  assert.match(failed.changes[0]!.result?.outputTail ?? '', /integrity check failed/);
  assert.ok(
    history.changes.every((c) => c.undone),
    'every change undone',
  );
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
  t: 'intent',
  at: at(),
  stepId,
  host,
  index,
  description: `${stepId} ${index}`,
  undo: { description: `undo ${stepId} ${index}`, command: [{ t: 'lit', v: 'true' }] },
  undoOnFailure: false,
  readOnly: false,
  ...extra,
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
  assert.deepEqual(
    history.inFlight().map((h) => h.stepId),
    ['b'],
    'an intent alone marks its host-step running',
  );
});

test('a failed change without undoOnFailure changed nothing; a change without undo is still listed for the rollback to report', () => {
  const history = replayJournal([header('r1'), intent('a', 'm1', 0, { undo: null }), result('a', 'm1', 0), intent('a', 'm1', 1), result('a', 'm1', 1, false)]);
  const items = history.changesToRollBack();
  assert.deepEqual(keys(items), ['a/m1#0']);
  assert.equal(items[0]!.undo, null);
});

test('undo order is reverse execution per host, with hosts interleaved as parallel steps write them', () => {
  const entries = [
    header('r1'),
    intent('s1', 'm1', 0),
    intent('s1', 'm2', 0),
    result('s1', 'm2', 0),
    result('s1', 'm1', 0),
    intent('s1', 'm1', 1),
    result('s1', 'm1', 1),
    intent('s2', 'm2', 0),
    intent('s2', 'm1', 0),
    result('s2', 'm1', 0),
    result('s2', 'm2', 0),
  ];
  const items = replayJournal(entries).changesToRollBack();
  assert.deepEqual(keys(items.filter((c) => c.host === 'm1')), ['s2/m1#0', 's1/m1#1', 's1/m1#0']);
  assert.deepEqual(keys(items.filter((c) => c.host === 'm2')), ['s2/m2#0', 's1/m2#0']);
  assert.deepEqual([...new Set(items.map((c) => c.stepId))], ['s2', 's1'], 'steps in reverse');
});

test('a retried change (same index again) is undone once, the attempt that succeeded', () => {
  const history = replayJournal([header('r1'), intent('a', 'm1', 0), result('a', 'm1', 0, false), intent('a', 'm1', 0), result('a', 'm1', 0), undoIntent('a', 'm1', 0), undoResult('a', 'm1', 0)]);
  assert.deepEqual(
    history.changes.map((c) => [c.status, c.undone]),
    [
      ['failed', false],
      ['ok', true],
    ],
  );
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

test("a resume updates the live pid; steps without step entries take their hosts' state", () => {
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
  assert.deepEqual(
    history.steps.map((s) => s.state),
    ['done', 'failed'],
  );
  assert.equal(history.hostStep('b', 'm1')?.error, 'boom');
});

test('a host-step whose last change finished but whose end was never written is still in flight', () => {
  const history = replayJournal([header('r1'), intent('a', 'm1', 0), result('a', 'm1', 0)]);
  assert.deepEqual(
    history.inFlight().map((h) => `${h.stepId}/${h.host}`),
    ['a/m1'],
    'resume must re-probe it: more changes may have followed',
  );
  assert.deepEqual(
    history.inFlight()[0]!.changes.map((c) => c.status),
    ['ok'],
  );
});

// ---- Every state a journal can hold, replayed (issue 9): each record kind, each host
// and step state, each change state, a torn last line, undos and rollbacks cut off,
// resume markers. Each test names the concrete state it expects.

test('every record kind a journal holds is replayed into its place in the history', () => {
  const entries: JournalEntry[] = [
    header('r1'),
    {
      t: 'plan',
      at: at(),
      steps: [
        { id: 'a', name: 'Step A', hosts: ['m1', 'm2'] },
        { id: 'b', name: 'Step B', hosts: ['m1'] },
      ],
    },
    { t: 'hosts-locked', at: at(), hosts: [{ host: 'm1', dir: '/var/lib/drbook' }], overridden: [], cleared: [], waited: [], staleLocalLocks: [] },
    { t: 'step', at: at(), stepId: 'a', state: 'running' },
    intent('a', 'm1', 0, { check: [{ t: 'lit', v: 'check' }] }),
    result('a', 'm1', 0),
    { t: 'host', at: at(), stepId: 'a', host: 'm1', state: 'done' },
    { t: 'host', at: at(), stepId: 'a', host: 'm2', state: 'failed', error: 'boom' },
    { t: 'step', at: at(), stepId: 'a', state: 'failed' },
    { t: 'resumed', at: at(), pid: 4242 },
    { t: 'rollback', at: at(), phase: 'started', reason: 'step a failed' },
    { t: 'probe', at: at(), stepId: 'a', host: 'm1', index: 0, phase: 'before-undo', verdict: 'applied', detail: 'it is there' },
    undoIntent('a', 'm1', 0),
    undoResult('a', 'm1', 0),
    { t: 'rollback', at: at(), phase: 'finished', ok: true, undone: 1, foundReverted: 0, left: [] },
    { t: 'end', at: at(), state: 'rolled-back', exitCode: 1, error: 'step a failed' },
  ];
  assert.equal(new Set(entries.map((e) => e.t)).size, 13, 'all 13 kinds: run plan hosts-locked step intent result host resumed rollback probe undo-intent undo-result end');
  const history = replayJournal(entries);
  assert.equal(history.header.runId, 'r1');
  assert.deepEqual(
    history.steps.map((s) => [s.id, s.name, s.plannedHosts, s.state, s.stateRecorded]),
    [
      ['a', 'Step A', ['m1', 'm2'], 'failed', true],
      ['b', 'Step B', ['m1'], 'pending', false],
    ],
  );
  assert.equal(history.hostStep('b', 'm1')?.state, 'pending', 'planned, never started');
  assert.deepEqual(
    history.hostStep('a', 'm1')?.transitions.map((t) => t.state),
    ['running', 'done'],
    'an intent starts the host-step',
  );
  assert.equal(history.hostStep('a', 'm2')?.error, 'boom');
  assert.deepEqual(
    history.resumes.map((r) => r.pid),
    [4242],
  );
  assert.equal(history.pid, 4242);
  const [change] = history.changes;
  assert.deepEqual([change?.status, change?.undone, change?.foundReverted, change?.probes.map((p) => `${p.phase}:${p.verdict}`)], ['ok', true, false, ['before-undo:applied']]);
  assert.equal(history.rollbacks.length, 1);
  assert.deepEqual([history.rollback?.reason, history.rollback?.ok, history.rollback?.undone, history.rollback?.undos.map((u) => u.ok)], ['step a failed', true, 1, [true]]);
  assert.equal(history.rollback?.undos[0]?.change, change, 'the undo is tied to its change');
  assert.deepEqual([history.ended, history.end?.state, history.end?.exitCode], [true, 'rolled-back', 1]);
  assert.equal(history.lastAt, entries.at(-1)!.at);
  assert.deepEqual(history.changesToRollBack(), []);
});

test('every host state a journal can hold: the host-step takes it, and a step without step entries derives its state from it', () => {
  // `planned` is the state of a plan (drbook plan), which writes no journal: it never claims done here either.
  const expected: Record<string, { derived: string; ended: boolean }> = {
    pending: { derived: 'pending', ended: false },
    running: { derived: 'running', ended: false },
    done: { derived: 'done', ended: true },
    planned: { derived: 'pending', ended: true },
    skipped: { derived: 'skipped', ended: true },
    failed: { derived: 'failed', ended: true },
    unreachable: { derived: 'unreachable', ended: true },
    cancelled: { derived: 'cancelled', ended: true },
    'rolled-back': { derived: 'rolled-back', ended: true },
    'rollback-failed': { derived: 'rollback-failed', ended: true },
  };
  for (const [state, want] of Object.entries(expected)) {
    const history = replayJournal([header('r1'), { t: 'host', at: at(), stepId: 'a', host: 'm1', state: state as never, error: state === 'failed' ? 'why' : undefined }]);
    const hostStep = history.hostStep('a', 'm1')!;
    assert.equal(hostStep.state, state);
    assert.equal(history.step('a')?.state, want.derived, `a step whose only host is ${state}`);
    assert.equal(hostStep.endedAt !== undefined, want.ended, `${state}: ended`);
    assert.equal(hostStep.startedAt !== undefined, state === 'running', `${state}: started`);
    assert.deepEqual(
      history.inFlight().map((h) => h.host),
      state === 'running' ? ['m1'] : [],
    );
  }
  // Derivation across hosts: the worst wins; done and skipped together are done.
  const mixed = (states: string[]) =>
    replayJournal([header('r1'), ...states.map((state, i): JournalEntry => ({ t: 'host', at: at(), stepId: 'a', host: `m${i}`, state: state as never }))]).step('a')?.state;
  assert.equal(mixed(['done', 'skipped']), 'done');
  assert.equal(mixed(['done', 'cancelled', 'failed']), 'failed');
  assert.equal(mixed(['rolled-back', 'rollback-failed']), 'rollback-failed');
  assert.equal(mixed(['done', 'running']), 'running');
  assert.equal(mixed(['unreachable', 'cancelled']), 'unreachable');
});

test('every step state a step entry can hold wins over its hosts; running sets the start, any other the end', () => {
  for (const state of ['running', 'done', 'skipped', 'failed', 'unreachable', 'cancelled', 'rolled-back', 'rollback-failed'] as const) {
    const history = replayJournal([header('r1'), { t: 'host', at: at(), stepId: 'a', host: 'm1', state: 'done' }, { t: 'step', at: at(), stepId: 'a', state }]);
    const step = history.step('a')!;
    assert.deepEqual([step.state, step.stateRecorded, step.startedAt !== undefined, step.endedAt !== undefined], [state, true, state === 'running', state !== 'running']);
  }
});

test('every change state: what the history says and what a rollback must do with it', () => {
  const check = { check: [{ t: 'lit' as const, v: 'check' }] };
  const cases: Array<{ name: string; entries: JournalEntry[]; status: string; need: string; undone?: boolean }> = [
    { name: 'ok, with a check', entries: [intent('a', 'm1', 0, check), result('a', 'm1', 0)], status: 'ok', need: 'probe' },
    { name: 'ok, no check', entries: [intent('a', 'm1', 0), result('a', 'm1', 0)], status: 'ok', need: 'undo' },
    { name: 'failed, no check', entries: [intent('a', 'm1', 0), result('a', 'm1', 0, false)], status: 'failed', need: 'none' },
    { name: 'failed, undoOnFailure', entries: [intent('a', 'm1', 0, { undoOnFailure: true }), result('a', 'm1', 0, false)], status: 'failed', need: 'undo' },
    { name: 'failed, with a check', entries: [intent('a', 'm1', 0, check), result('a', 'm1', 0, false)], status: 'failed', need: 'probe' },
    { name: 'intent without result, with a check', entries: [intent('a', 'm1', 0, check)], status: 'in-flight', need: 'probe' },
    { name: 'intent without result, no check', entries: [intent('a', 'm1', 0)], status: 'in-flight', need: 'maybe' },
    { name: 'cut off, resolved unknown by a resume', entries: [intent('a', 'm1', 0), { ...result('a', 'm1', 0, false), resolved: 'unknown' } as JournalEntry], status: 'failed', need: 'maybe' },
    { name: 'cut off, resolved reverted by a resume', entries: [intent('a', 'm1', 0), { ...result('a', 'm1', 0, false), resolved: 'reverted' } as JournalEntry], status: 'failed', need: 'none' },
    { name: 'read-only without undo', entries: [intent('a', 'm1', 0, { readOnly: true, undo: null }), result('a', 'm1', 0)], status: 'ok', need: 'none' },
    { name: 'undone', entries: [intent('a', 'm1', 0, check), result('a', 'm1', 0), undoIntent('a', 'm1', 0), undoResult('a', 'm1', 0)], status: 'ok', need: 'none', undone: true },
    { name: 'undo failed', entries: [intent('a', 'm1', 0, check), result('a', 'm1', 0), undoIntent('a', 'm1', 0), undoResult('a', 'm1', 0, false)], status: 'ok', need: 'probe', undone: false },
    { name: 'undo intent without result', entries: [intent('a', 'm1', 0), result('a', 'm1', 0), undoIntent('a', 'm1', 0)], status: 'ok', need: 'undo', undone: false },
    {
      name: 'found reverted before its undo',
      entries: [intent('a', 'm1', 0, check), { t: 'probe', at: at(), stepId: 'a', host: 'm1', index: 0, phase: 'before-undo', verdict: 'reverted', detail: '' }],
      status: 'in-flight',
      need: 'none',
      undone: true,
    },
    {
      name: 'undone, then disturbed (final probe applied)',
      entries: [
        intent('a', 'm1', 0, check),
        result('a', 'm1', 0),
        undoIntent('a', 'm1', 0),
        undoResult('a', 'm1', 0),
        { t: 'probe', at: at(), stepId: 'a', host: 'm1', index: 0, phase: 'final', verdict: 'applied', detail: '' },
      ],
      status: 'ok',
      need: 'probe',
      undone: false,
    },
  ];
  for (const c of cases) {
    const history = replayJournal([header('r1'), ...c.entries]);
    const [change] = history.changes;
    assert.equal(change?.status, c.status, c.name);
    assert.equal(history.rollbackNeed(change!), c.need, c.name);
    assert.equal(history.changesToRollBack().length, c.need === 'none' ? 0 : 1, c.name);
    if (c.undone !== undefined) assert.equal(change?.undone, c.undone, c.name);
  }
  // An intent without result redone to completion later (a resume ran it again): the later one's undo covers both.
  const redone = replayJournal([header('r1'), intent('a', 'm1', 0), intent('a', 'm1', 1, { description: 'a 0' }), result('a', 'm1', 1)]);
  assert.deepEqual(
    redone.changes.map((c) => redone.rollbackNeed(c)),
    ['none', 'undo'],
  );
});

test('a torn last line (kill -9 mid-write) is dropped: the change it would have finished replays as in flight', () => {
  const lines = [header('r1'), intent('a', 'm1', 0), result('a', 'm1', 0), intent('b', 'm1', 0)].map((e) => JSON.stringify(e));
  const torn = JSON.stringify(result('b', 'm1', 0)).slice(0, 25);
  const parsed = parseJournal(`${lines.join('\n')}\n${torn}`, 'journal.jsonl');
  assert.deepEqual(parsed.tornLine, { lineNo: 5, text: torn });
  const history = replayJournal(parsed.entries);
  assert.deepEqual(
    history.changes.map((c) => `${c.stepId}:${c.status}`),
    ['a:ok', 'b:in-flight'],
  );
  assert.deepEqual(keys(history.inFlightChanges()), ['b/m1#0']);
  assert.deepEqual(keys(history.changesToRollBack()), ['b/m1#0', 'a/m1#0'], 'newest first, the one cut off included');
  assert.equal(history.ended, false);
  // A complete last line that only lacks its newline is kept.
  const whole = parseJournal(`${lines.join('\n')}\n${JSON.stringify(result('b', 'm1', 0))}`, 'journal.jsonl');
  assert.equal(whole.missingFinalNewline, true);
  assert.deepEqual(
    replayJournal(whole.entries).changes.map((c) => c.status),
    ['ok', 'ok'],
  );
});

test('rollbacks finished and unfinished: started without finish, finished not verified, a finish without a start, and a second rollback', () => {
  const base: JournalEntry[] = [header('r1'), intent('a', 'm1', 0), result('a', 'm1', 0), intent('a', 'm1', 1), result('a', 'm1', 1)];
  const unfinished = replayJournal([...base, { t: 'rollback', at: at(), phase: 'started', reason: 'x' }, undoIntent('a', 'm1', 1), undoResult('a', 'm1', 1)]);
  assert.deepEqual([unfinished.rollbacks.length, unfinished.rollback?.finishedAt, unfinished.rollback?.ok], [1, undefined, undefined]);
  assert.deepEqual(keys(unfinished.changesToRollBack()), ['a/m1#0'], 'the one not yet undone');
  assert.deepEqual(unfinished.undoInFlight(), []);

  const notVerified = replayJournal([
    ...base,
    { t: 'rollback', at: at(), phase: 'started', reason: 'x' },
    undoIntent('a', 'm1', 1),
    undoResult('a', 'm1', 1, false),
    { t: 'rollback', at: at(), phase: 'finished', ok: false, undone: 0, foundReverted: 0, left: ['m1: step a: a 1'] },
  ]);
  assert.deepEqual([notVerified.rollback?.ok, notVerified.rollback?.left, notVerified.rollback?.undos.map((u) => u.ok)], [false, ['m1: step a: a 1'], [false]]);
  assert.deepEqual(keys(notVerified.changesToRollBack()), ['a/m1#1', 'a/m1#0']);

  // Undo records and a finish with no start (a journal cut between): a rollback is made for them.
  const headless = replayJournal([...base, undoIntent('a', 'm1', 1), undoResult('a', 'm1', 1), { t: 'rollback', at: at(), phase: 'finished', ok: true }]);
  assert.deepEqual([headless.rollbacks.length, headless.rollback?.ok, headless.rollback?.undos.length, headless.rollback?.reason], [1, true, 1, undefined]);

  // A rollback cut off in its undo (kill -9), then `drbook rollback`, which undoes it again and the rest.
  const twice = replayJournal([
    ...base,
    { t: 'rollback', at: at(), phase: 'started', reason: 'first' },
    undoIntent('a', 'm1', 1),
    { t: 'resumed', at: at(), pid: 9 },
    { t: 'rollback', at: at(), phase: 'started', reason: 'drbook rollback' },
    undoIntent('a', 'm1', 1),
    undoResult('a', 'm1', 1),
    undoIntent('a', 'm1', 0),
    undoResult('a', 'm1', 0),
    { t: 'rollback', at: at(), phase: 'finished', ok: true },
  ]);
  assert.deepEqual(
    twice.rollbacks.map((r) => [r.reason, r.ok, r.undos.map((u) => u.ok)]),
    [
      ['first', undefined, [undefined]],
      ['drbook rollback', true, [true, true]],
    ],
  );
  assert.deepEqual(
    twice.hostStep('a', 'm1')!.changes[1]!.undoAttempts.map((u) => u.ok),
    [undefined, true],
    'the cut-off attempt stays unknown; the later one is the result',
  );
  assert.deepEqual(twice.undoInFlight(), [], 'undone since: no undo in flight any more');
  assert.deepEqual(twice.changesToRollBack(), []);
});

test('resume markers: each resume is listed, the last one writes; a resumed host-step runs again and its last state wins', () => {
  const history = replayJournal([
    header('r1'),
    { t: 'host', at: at(), stepId: 'a', host: 'm1', state: 'running' },
    intent('a', 'm1', 0),
    { t: 'resumed', at: at(), pid: 100 },
    { t: 'result', at: at(), stepId: 'a', host: 'm1', index: 0, ok: true, durationMs: 0, resolved: 'applied' },
    { t: 'host', at: at(), stepId: 'a', host: 'm1', state: 'failed', error: 'cut off' },
    { t: 'resumed', at: at(), pid: 200 },
    intent('a', 'm1', 1),
    result('a', 'm1', 1),
    { t: 'host', at: at(), stepId: 'a', host: 'm1', state: 'done' },
  ]);
  assert.deepEqual(
    history.resumes.map((r) => r.pid),
    [100, 200],
  );
  assert.equal(history.pid, 200);
  const hostStep = history.hostStep('a', 'm1')!;
  assert.deepEqual(
    hostStep.transitions.map((t) => t.state),
    ['running', 'failed', 'running', 'done'],
  );
  assert.equal(hostStep.state, 'done');
  assert.deepEqual(
    hostStep.changes.map((c) => [c.index, c.status, c.result?.resolved]),
    [
      [0, 'ok', 'applied'],
      [1, 'ok', undefined],
    ],
  );
  assert.deepEqual(history.inFlight(), []);
  assert.equal(history.ended, false, 'no end yet: a run still going (or crashed after its resume)');
});
