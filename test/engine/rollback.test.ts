// The rollback's order (src/engine/rollback.ts), with fake hosts and a journal written
// by hand: steps newest first with a barrier per step across hosts, each host's changes
// newest first, hosts in parallel within a step (also a step that ran `serial`), a
// failing undo stopping its host only, and a change cut off in flight probed before
// anything is undone on its host. Each fake host logs every command it runs, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JournalEntry } from '../../src/core/journal-records.js';
import type { ExecRequest, ExecResult } from '../../src/core/transport.js';
import { ExecOnlyHost, at, execOut, lit, rollbackOn } from './support/rollback-harness.js';

/** A host whose state is the set of applied changes; `check X` answers from it, `undo X` removes X (or fails for `failing`). */
class FakeHost extends ExecOnlyHost {
  constructor(
    hostName: string,
    readonly applied: Set<string>,
    readonly log: string[],
    readonly delayMs = 0,
    readonly failing: Set<string> = new Set(),
  ) {
    super(hostName);
  }
  async exec(request: ExecRequest): Promise<ExecResult> {
    const [verb, name] = request.command.toShell().split(' ') as [string, string];
    this.log.push(`${this.hostName} ${verb} ${name}`);
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const out = execOut;
    if (verb === 'check') return out(`${this.applied.has(name) ? 'applied' : 'reverted'}\n`);
    if (verb === 'undo') {
      if (this.failing.has(name)) return out('', 1);
      this.applied.delete(name);
      return out('');
    }
    return out('', 127);
  }
}

/** Change `name` applied (intent + ok result) at step/host/index; `inFlight`: no result (kill -9). */
function change(name: string, stepId: string, host: string, index: number, options: { inFlight?: boolean } = {}): JournalEntry[] {
  const intent: JournalEntry = {
    t: 'intent',
    at: at(),
    stepId,
    host,
    index,
    description: name,
    undo: { description: `undo ${name}`, command: lit(`undo ${name}`) },
    undoOnFailure: false,
    readOnly: false,
    check: lit(`check ${name}`),
  };
  return options.inFlight ? [intent] : [intent, { t: 'result', at: at(), stepId, host, index, ok: true, durationMs: 1 }];
}

const rollback = (entries: JournalEntry[], hosts: FakeHost[], signal?: AbortSignal) => rollbackOn(entries, hosts, { signal });

/** The undo commands, in the order they ran (all hosts), or one host's. */
const undos = (log: string[], host?: string) =>
  log.filter((l) => l.split(' ')[1] === 'undo' && (host === undefined || l.startsWith(`${host} `))).map((l) => (host ? l.split(' ')[2]! : `${l.split(' ')[0]} ${l.split(' ')[2]}`));

test("completed steps are undone newest first, each host's changes in reverse, with a barrier per step across hosts", async () => {
  const log: string[] = [];
  // m1 is slow: without a barrier m2 would start step one's undos before m1 finished step two's.
  const m1 = new FakeHost('m1', new Set(['a1', 'a2', 'b1', 'b2']), log, 15);
  const m2 = new FakeHost('m2', new Set(['a3', 'b3']), log, 0);
  const entries = [
    ...change('a1', 'one', 'm1', 0),
    ...change('a3', 'one', 'm2', 0),
    ...change('a2', 'one', 'm1', 1),
    ...change('b1', 'two', 'm1', 0),
    ...change('b3', 'two', 'm2', 0),
    ...change('b2', 'two', 'm1', 1),
  ];
  const { outcome, events } = await rollback(entries, [m1, m2]);
  assert.equal(outcome.ok, true, outcome.left.join('\n'));
  assert.equal(outcome.undone, 6);
  assert.deepEqual(undos(log, 'm1'), ['b2', 'b1', 'a2', 'a1']);
  assert.deepEqual(undos(log, 'm2'), ['b3', 'a3']);
  const starts = events.filter((e) => e.type === 'undo.started').map((e) => (e as { stepId: string }).stepId);
  const lastOfTwo = events.map((e) => e.type === 'undo.finished' && e.stepId === 'two').lastIndexOf(true);
  const firstOfOne = events.findIndex((e) => e.type === 'undo.started' && e.stepId === 'one');
  assert.ok(lastOfTwo < firstOfOne, 'every host finished undoing step two before any host began step one');
  assert.deepEqual(starts, ['two', 'two', 'two', 'one', 'one', 'one']);
  // Every check after the undos says reverted, and the journal has an undo-intent before each undo-result.
  assert.deepEqual([m1.applied.size, m2.applied.size], [0, 0]);
});

test('hosts are undone in parallel within a step, also a step that ran `serial: 1` (rollback keeps the barrier, not serial)', async () => {
  const log: string[] = [];
  const hosts = ['m1', 'm2', 'm3'].map((name) => new FakeHost(name, new Set([`s-${name}`, `t-${name}`]), log, 10));
  // As serial: 1 journals it: one host after the other, each with two changes.
  const entries = hosts.flatMap((h) => [...change(`s-${h.hostName}`, 'serial', h.hostName, 0), ...change(`t-${h.hostName}`, 'serial', h.hostName, 1)]);
  const { outcome, events } = await rollback(entries, hosts);
  assert.equal(outcome.ok, true, outcome.left.join('\n'));
  for (const h of hosts) assert.deepEqual(undos(log, h.hostName), [`t-${h.hostName}`, `s-${h.hostName}`]);
  const firstEnd = events.findIndex((e) => e.type === 'undo.finished');
  const startedBefore = events
    .slice(0, firstEnd)
    .filter((e) => e.type === 'undo.started')
    .map((e) => (e as { host: string }).host);
  assert.deepEqual(startedBefore.sort(), ['m1', 'm2', 'm3'], 'every host began its undo before any finished');
});

test('a failing undo stops that host (its older undos are not run, across steps too) and the other hosts go on; the rollback is not verified', async () => {
  const log: string[] = [];
  const m1 = new FakeHost('m1', new Set(['a1', 'b1', 'b2']), log, 0, new Set(['b2']));
  const m2 = new FakeHost('m2', new Set(['a2', 'b3']), log, 0);
  const entries = [...change('a1', 'one', 'm1', 0), ...change('a2', 'one', 'm2', 0), ...change('b1', 'two', 'm1', 0), ...change('b2', 'two', 'm1', 1), ...change('b3', 'two', 'm2', 0)];
  const { outcome, history } = await rollback(entries, [m1, m2]);
  assert.equal(outcome.ok, false);
  assert.deepEqual(undos(log, 'm1'), ['b2'], 'm1 stops at its failing undo');
  assert.deepEqual(undos(log, 'm2'), ['b3', 'a2'], 'm2 is rolled back completely');
  assert.deepEqual(outcome.left, [
    'm1: step two: b2 (undo failed: undo b2 exited with 1: boom; its check says it is still applied: applied)',
    'm1: step two: b1 (not undone: an earlier undo on this host failed or could not tell)',
    'm1: step one: a1 (not undone: an earlier undo on this host failed or could not tell)',
  ]);
  assert.equal(outcome.undone, 2);
  assert.deepEqual(
    history.changesToRollBack().map((c) => `${c.host}:${c.description}`),
    ['m1:b2', 'm1:b1', 'm1:a1'],
  );
  assert.deepEqual(
    log.filter((l) => l.startsWith('m1 ') && l.includes('check')).map((l) => l.split(' ')[2]),
    ['b2', 'b2'],
    'no final check on a host that stopped',
  );
});

test('a change cut off in flight is probed first: its check runs before any undo on its host; applied → undone, reverted → left alone', async () => {
  for (const [applied, expected] of [
    [true, ['m1 check c2', 'm1 undo c2', 'm1 check c2', 'm1 check c1', 'm1 undo c1', 'm1 check c1']],
    [false, ['m1 check c2', 'm1 check c1', 'm1 undo c1', 'm1 check c1']],
  ] as const) {
    const log: string[] = [];
    const m1 = new FakeHost('m1', new Set(applied ? ['c1', 'c2'] : ['c1']), log);
    const { outcome, history } = await rollback([...change('c1', 'one', 'm1', 0), ...change('c2', 'one', 'm1', 1, { inFlight: true })], [m1]);
    assert.equal(outcome.ok, true, outcome.left.join('\n'));
    const beforeFinal = log.slice(0, log.length - 1); // the last line is the final postcondition probe of c1 (the first change on its subject)
    assert.deepEqual(beforeFinal.slice(0, expected.length), expected);
    assert.deepEqual([outcome.undone, outcome.foundReverted], applied ? [2, 0] : [1, 1]);
    assert.deepEqual(
      history.changes.map((c) => c.probes.map((p) => `${p.phase}:${p.verdict}`)[0]),
      ['before-undo:applied', `before-undo:${applied ? 'applied' : 'reverted'}`],
    );
  }
});

test('an interrupted rollback undoes nothing more: what is left is named, newest first, and it is not verified', async () => {
  const log: string[] = [];
  const m1 = new FakeHost('m1', new Set(['a1', 'a2']), log);
  const stop = new AbortController();
  stop.abort('SIGINT');
  const { outcome, history } = await rollback([...change('a1', 'one', 'm1', 0), ...change('a2', 'one', 'm1', 1)], [m1], stop.signal);
  assert.equal(outcome.ok, false);
  assert.deepEqual(log, []);
  assert.deepEqual(outcome.left, ['m1: step one: a2 (not undone: rollback interrupted)', 'm1: step one: a1 (not undone: rollback interrupted)']);
  assert.deepEqual([history.rollback?.ok, history.rollback?.left?.length], [false, 2], 'journaled as finished, not verified');
});
