// What rollback and resume decide from a journal and what the checks say, with a fake
// host: each change `X` has a check `check X` and an undo `undo X`; the host is a set of
// changes that are applied, and the fake answers checks from it (or as the test scripts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../src/core/events.js';
import { RunRecorder } from '../../src/engine/recorder.js';
import { resolveInFlight } from '../../src/engine/resume-in-flight.js';
import type { JournalEntry } from '../../src/core/journal-records.js';
import { replayJournal } from '../../src/journal/replay.js';
import { Masker } from '../../src/shell/masker.js';
import type { ExecRequest, ExecResult, TransportPool } from '../../src/core/transport.js';
import { header } from '../journal/helpers.js';
import { ExecOnlyHost, at, execOut, lit, result, rollbackOn } from './support/rollback-harness.js';

type Answer = 'applied' | 'reverted' | 'cannot tell: the test says so' | 'fail';

/** A host whose state is the set of applied changes; `override` scripts a check's answer (after a given number of calls). */
class FakeHost extends ExecOnlyHost {
  readonly commands: string[] = [];
  constructor(
    hostName: string,
    readonly applied: Set<string>,
    readonly override: Map<string, (calls: number) => Answer | undefined> = new Map(),
    /** Undos that exit 1 (after doing their work, or not: `undoDoes`). */
    readonly failingUndos: Set<string> = new Set(),
    readonly undoDoes: (name: string, host: FakeHost) => void = (name, host) => host.applied.delete(name),
  ) {
    super(hostName);
  }
  private calls = new Map<string, number>();
  async exec(request: ExecRequest): Promise<ExecResult> {
    const shell = request.command.toShell();
    this.commands.push(shell);
    const [verb, name] = shell.split(' ') as [string, string];
    const out = execOut;
    if (verb === 'check') {
      const n = (this.calls.get(name) ?? 0) + 1;
      this.calls.set(name, n);
      const scripted = this.override.get(name)?.(n);
      if (scripted === 'fail') return out('', 2);
      return out(`${scripted ?? (this.applied.has(name) ? 'applied' : 'reverted')}\n`);
    }
    if (verb === 'undo') {
      this.undoDoes(name, this);
      return out('', this.failingUndos.has(name) ? 1 : 0);
    }
    return out('', 127);
  }
}

/** The intent of change `name` (step/host/index), with a check unless `check: false`. */
function intent(
  name: string,
  stepId: string,
  host: string,
  index: number,
  options: { check?: boolean; undo?: boolean; subjects?: string[]; readOnly?: boolean; undoOnFailure?: boolean } = {},
): JournalEntry {
  return {
    t: 'intent',
    at: at(),
    stepId,
    host,
    index,
    description: name,
    undo: options.undo === false ? null : { description: `undo ${name}`, command: lit(`undo ${name}`) },
    undoOnFailure: options.undoOnFailure ?? false,
    readOnly: options.readOnly ?? false,
    ...(options.check === false ? {} : { check: lit(`check ${name}`) }),
    ...(options.subjects ? { subjects: options.subjects } : {}),
  };
}

const rollback = (entries: JournalEntry[], hosts: FakeHost[], hostHeld?: (host: string) => Promise<string | undefined>) => rollbackOn(entries, hosts, { hostHeld });

const undosRun = (host: FakeHost) => host.commands.filter((c) => c.startsWith('undo ')).map((c) => c.slice(5));

test('a change cut off in flight is probed: applied → undone and probed again; its journal shows it undone', async () => {
  const m1 = new FakeHost('m1', new Set(['stash-apiserver', 'mkdir-stash']));
  // mkdir-stash completed; stash-apiserver's command ran, but its result was never journaled (kill -9).
  const { outcome, history } = await rollback([intent('mkdir-stash', 'stop', 'm1', 0), result('stop', 'm1', 0), intent('stash-apiserver', 'stop', 'm1', 1)], [m1]);
  assert.equal(outcome.ok, true, outcome.left.join('\n'));
  assert.deepEqual(undosRun(m1), ['stash-apiserver', 'mkdir-stash'], 'newest first, the one in flight included');
  assert.equal(outcome.undone, 2);
  assert.ok(history.changes.every((c) => c.undone));
  const probes = history.changes[1]!.probes.map((p) => `${p.phase}:${p.verdict}`);
  assert.deepEqual(probes, ['before-undo:applied', 'after-undo:reverted', 'final:reverted']);
});

test('a change cut off before it happened: its check says reverted, nothing is undone, and that is journaled', async () => {
  const m1 = new FakeHost('m1', new Set(['mkdir-stash']));
  const { outcome, history } = await rollback([intent('mkdir-stash', 'stop', 'm1', 0), result('stop', 'm1', 0), intent('stash-apiserver', 'stop', 'm1', 1)], [m1]);
  assert.equal(outcome.ok, true);
  assert.deepEqual(undosRun(m1), ['mkdir-stash']);
  assert.equal(outcome.foundReverted, 1);
  assert.equal(history.changes[1]!.foundReverted, true);
  assert.equal(history.rollbackNeed(history.changes[1]!), 'none');
});

test('cannot tell: left and named; the host stops there (older undos depend on it); the other hosts go on', async () => {
  const m1 = new FakeHost('m1', new Set(['keep-old', 'restore']), new Map([['move-in', () => 'cannot tell: the test says so']]));
  const m2 = new FakeHost('m2', new Set(['keep-old', 'restore', 'move-in']));
  const entries = [
    intent('restore', 'restore', 'm1', 0),
    result('restore', 'm1', 0),
    intent('restore', 'restore', 'm2', 0),
    result('restore', 'm2', 0),
    intent('keep-old', 'swap', 'm1', 0),
    result('swap', 'm1', 0),
    intent('keep-old', 'swap', 'm2', 0),
    result('swap', 'm2', 0),
    intent('move-in', 'swap', 'm1', 1),
    intent('move-in', 'swap', 'm2', 1),
  ];
  const { outcome } = await rollback(entries, [m1, m2]);
  assert.equal(outcome.ok, false);
  assert.deepEqual(undosRun(m1), [], 'nothing more is done on m1');
  assert.deepEqual(undosRun(m2), ['move-in', 'keep-old', 'restore']);
  assert.match(outcome.left.join('\n'), /m1: step swap: move-in \(cannot tell whether it is applied: the test says so\)/);
  assert.match(outcome.left.join('\n'), /m1: step swap: keep-old \(not undone: an earlier undo on this host failed or could not tell\)/);
  assert.match(outcome.left.join('\n'), /m1: step restore: restore \(not undone/);
});

test('a `run:` step without a check cut off in flight may or may not have happened: listed, undo not run, not verified', async () => {
  const m1 = new FakeHost('m1', new Set(['a']));
  const { outcome, history } = await rollback([intent('a', 'one', 'm1', 0, { check: false }), result('one', 'm1', 0), intent('b', 'two', 'm1', 0, { check: false })], [m1]);
  assert.equal(outcome.ok, false);
  assert.deepEqual(undosRun(m1), []);
  assert.match(outcome.left[0]!, /m1: step two: b \(cut off in flight, and the step gives no check: it may or may not have happened; its undo \(undo b\) was not run/);
  assert.equal(history.rollbackNeed(history.changes[0]!), 'undo', 'a, not undone: left for the next rollback');
});

test("without a check, a completed change is undone on the journal's word and reported as such", async () => {
  const m1 = new FakeHost('m1', new Set(['a']));
  const { outcome } = await rollback([intent('a', 'one', 'm1', 0, { check: false }), result('one', 'm1', 0)], [m1]);
  assert.equal(outcome.ok, true);
  assert.equal(outcome.undone, 1);
  assert.deepEqual(outcome.unverified, ['m1: step one: a']);
});

test('the host, not the undo\'s exit status, decides: an undo that "worked" but left it applied is left; one that failed but reverted it is fine', async () => {
  const stuck = new FakeHost('m1', new Set(['a']), new Map(), new Set(), () => undefined); // the undo does nothing, exits 0
  const first = await rollback([intent('a', 'one', 'm1', 0), result('one', 'm1', 0)], [stuck]);
  assert.equal(first.outcome.ok, false);
  assert.match(first.outcome.left[0]!, /the undo ran, but its check says it is still applied/);
  assert.equal(first.history.changes[0]!.undone, false);

  const noisy = new FakeHost('m1', new Set(['a']), new Map(), new Set(['a'])); // reverts it, then exits 1
  const second = await rollback([intent('a', 'one', 'm1', 0), result('one', 'm1', 0)], [noisy]);
  assert.equal(second.outcome.ok, true, second.outcome.left.join('\n'));
  assert.equal(second.history.changes[0]!.undone, true);
});

test('the final probe: a later undo that disturbs an earlier change makes the rollback not verified', async () => {
  // Undoing b (older) re-applies a: the final check of a catches it.
  const m1 = new FakeHost('m1', new Set(['a', 'b']), new Map(), new Set(), (name, host) => {
    host.applied.delete(name);
    if (name === 'b') host.applied.add('a');
  });
  const { outcome } = await rollback([intent('b', 'one', 'm1', 0, { subjects: ['/x'] }), result('one', 'm1', 0), intent('a', 'two', 'm1', 0, { subjects: ['/y'] }), result('two', 'm1', 0)], [m1]);
  assert.equal(outcome.ok, false);
  assert.match(outcome.left.join('\n'), /m1: step two: a \(after the rollback its check says it is applied/);
});

test('the final probe checks the first change on each subject: a start undone before its stop is not expected "reverted" at the end', async () => {
  // stop (pods down) then start (pods up): after the rollback the pods run again, which is
  // the start's "applied" and the stop's "reverted": only the stop, first on the subject, counts.
  const m1 = new FakeHost('m1', new Set(['stop', 'start']), new Map(), new Set(), (name, host) => {
    if (name === 'start') host.applied.delete('start'); // pods stopped again
    if (name === 'stop') {
      host.applied.delete('stop');
      host.applied.add('start');
    } // pods running again
  });
  const entries = [intent('stop', 'stop', 'm1', 0, { subjects: ['pod:etcd'] }), result('stop', 'm1', 0), intent('start', 'start', 'm1', 0, { subjects: ['pod:etcd'] }), result('start', 'm1', 0)];
  const { outcome, history } = await rollback(entries, [m1]);
  assert.equal(outcome.ok, true, outcome.left.join('\n'));
  assert.deepEqual(
    history.changes.map((c) => c.probes.map((p) => p.phase).join(',')),
    ['before-undo,after-undo,final', 'before-undo,after-undo'],
  );
});

test('a failed change without a check nor undoOnFailure changed nothing; with undoOnFailure it is undone; read-only ones are skipped', async () => {
  const m1 = new FakeHost('m1', new Set(['restore']));
  const entries = [
    intent('verify', 'verify', 'm1', 0, { check: false, undo: false, readOnly: true }),
    result('verify', 'm1', 0),
    intent('restore', 'restore', 'm1', 0, { check: false, undoOnFailure: true }),
    result('restore', 'm1', 0, false),
    intent('later', 'late', 'm1', 0, { check: false }),
    result('late', 'm1', 0, false),
  ];
  const { outcome } = await rollback(entries, [m1]);
  assert.equal(outcome.ok, true);
  assert.deepEqual(undosRun(m1), ['restore']);
  assert.deepEqual(
    m1.commands.filter((c) => c.startsWith('check')),
    [],
  );
});

test('no check can run (the host is gone from the inventory, a check fails): cannot tell, never reverted', async () => {
  const m1 = new FakeHost('m1', new Set(['a']), new Map([['a', () => 'fail']]));
  const { outcome } = await rollback([intent('a', 'one', 'm1', 0), result('one', 'm1', 0)], [m1]);
  assert.equal(outcome.ok, false);
  assert.match(outcome.left[0]!, /cannot tell whether it is applied: the check exited with 2/);
});

test('resume resolves each change cut off in flight by its check: applied → result ok, reverted → did not happen, cannot tell → the step fails', async () => {
  const m1 = new FakeHost('m1', new Set(['applied-one']), new Map([['doubt', () => 'cannot tell: the test says so']]));
  const entries: JournalEntry[] = [
    header('r1', ['m1']),
    intent('applied-one', 'a', 'm1', 0),
    intent('never-ran', 'b', 'm1', 0),
    intent('doubt', 'c', 'm1', 0),
    intent('no-check', 'd', 'm1', 0, { check: false }),
  ];
  const recorder = new RunRecorder(undefined, new EventBus(), new Masker(), entries);
  const pool: TransportPool = { get: async () => m1, closeAll: async () => undefined };
  const failure = await resolveInFlight(recorder, { recorder, pool, secretsByHost: new Map(), signal: new AbortController().signal, knownHosts: new Set(['m1']) });
  assert.match(failure ?? '', /\[host m1, step c\] change #0 \(doubt\): cut off in flight, and its check cannot tell whether it happened: the test says so/);
  const history = replayJournal(recorder.entries);
  assert.deepEqual(
    history.changes.map((c) => [c.description, c.status, c.result?.resolved]),
    [
      ['applied-one', 'ok', 'applied'],
      ['never-ran', 'failed', 'reverted'],
      ['doubt', 'failed', 'unknown'],
      ['no-check', 'in-flight', undefined],
    ],
  );
  assert.equal(history.hostStep('c', 'm1')?.state, 'failed');
  // A later rollback undoes the one that happened, looks again at the doubt, and lists the unchecked one.
  assert.deepEqual(
    history.changesToRollBack().map((c) => c.description),
    ['no-check', 'doubt', 'never-ran', 'applied-one'],
  );
});

test('the host locks cover the probes: on a host whose lock the run does not hold, no check runs and nothing is undone (cannot tell); the other hosts roll back', async () => {
  const m1 = new FakeHost('m1', new Set(['a']));
  const m2 = new FakeHost('m2', new Set(['a']));
  const asked: string[] = [];
  const hostHeld = async (host: string) => (asked.push(host), host === 'm1' ? 'the lock of host m1 was lost (its holder ended) and cannot be taken again' : undefined);
  const { outcome, history } = await rollback([intent('a', 'one', 'm1', 0), result('one', 'm1', 0), intent('a', 'one', 'm2', 0), result('one', 'm2', 0)], [m1, m2], hostHeld);
  assert.equal(outcome.ok, false, 'a host that cannot be probed under the lock is not verified');
  assert.deepEqual(m1.commands, [], 'no check, no undo on m1');
  assert.deepEqual(undosRun(m2), ['a']);
  assert.match(outcome.left.join('\n'), /m1: step one: a \(cannot tell whether it is applied: its check was not run: the lock of host m1 was lost/);
  assert.ok(!outcome.left.some((l) => l.startsWith('m2')), outcome.left.join('\n'));
  assert.ok(asked.filter((h) => h === 'm2').length >= 2, 'before and after the undo (and at the end), m2 is asked about too');
  assert.equal(history.changes.find((c) => c.host === 'm1')!.undone, false);
});

test('the host locks cover resume: a change cut off in flight on a host whose lock is not held cannot be told, and its step fails', async () => {
  const m1 = new FakeHost('m1', new Set(['applied-one']));
  const recorder = new RunRecorder(undefined, new EventBus(), new Masker(), [header('r1', ['m1']), intent('applied-one', 'a', 'm1', 0)]);
  const pool: TransportPool = { get: async () => m1, closeAll: async () => undefined };
  const hostHeld = async () => 'another run holds the lock of m1';
  const failure = await resolveInFlight(recorder, { recorder, pool, secretsByHost: new Map(), signal: new AbortController().signal, knownHosts: new Set(['m1']), hostHeld });
  assert.match(failure ?? '', /cannot tell whether it happened: its check was not run: another run holds the lock of m1/);
  assert.deepEqual(m1.commands, []);
});
