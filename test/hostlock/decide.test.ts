// The decision on what the hosts hold (markers of unfinished runs, commands in
// flight), and the words of the refusal, on hand-made findings and journal lookups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideHosts, type HostFindings } from '../../src/hostlock/decide.js';
import { describeRefusal } from '../../src/hostlock/messages.js';
import type { MarkerRecord } from '../../src/hostlock/records.js';
import type { RunLookup } from '../../src/hostlock/run-lookup.js';
import type { RunSummary } from '../../src/journal/runs.js';

const here = { machine: 'laptop-b', stateDir: '/home/bob/.local/state/drbook' };
const self = (ignore: string[] = [], runId = 'new-run') => ({ runId, ignoreRuns: new Set(ignore) });

function marker(runId: string, extra: Partial<MarkerRecord> = {}): MarkerRecord {
  return {
    runId,
    runbook: 'etcd-restore',
    machine: 'laptop-a',
    user: 'alice',
    pid: 4242,
    stateDir: '/home/alice/.local/state/drbook',
    startedAt: '2026-11-23T09:15:30Z',
    at: '2026-11-23T09:15:31Z',
    hosts: ['node1', 'node2'],
    ...extra,
  };
}

function summary(runId: string, state: RunSummary['state'], extra: Partial<RunSummary> = {}): RunSummary {
  return { runId, hosts: ['node1'], state, dryRun: false, canResume: state === 'crashed', canRollback: state === 'crashed', ...extra };
}

const journalHere = (runId: string, state: RunSummary['state'], changedHosts: string[], stateDir = here.stateDir): RunLookup => ({
  readable: true,
  stateDir,
  summary: summary(runId, state),
  changedHosts,
});
const notHere: RunLookup = { readable: false, why: 'its journal is on laptop-a' };
const host = (name: string, markers: MarkerRecord[], inflight: string[] = []): HostFindings => ({ host: name, markers: markers.map((m) => ({ runId: m.runId, record: m })), inflight });

test("another run's marker whose journal is elsewhere refuses, naming the run, its machine and state dir, and how to finish it there", () => {
  const decision = decideHosts([host('node1', [marker('old-run')]), host('node2', [marker('old-run')])], self(), new Map([['old-run', notHere]]));
  assert.equal(decision.refusals.length, 1, 'one refusal per run, listing its hosts');
  const [refusal] = decision.refusals;
  assert.deepEqual(refusal!.hosts, ['node1', 'node2']);
  const text = describeRefusal(refusal!, here);
  assert.match(text, /hosts node1, node2: run old-run changed them and did not finish/);
  assert.match(text, /by alice on laptop-a, pid 4242, state dir \/home\/alice\/\.local\/state\/drbook/);
  assert.match(text, /its journal is on laptop-a; finish it there: `drbook resume old-run --state-dir \/home\/alice\/\.local\/state\/drbook`.*`drbook rollback old-run --state-dir/);
  assert.match(text, /--ignore-run old-run \(journaled\)/);
});

test("with its journal here, the refusal says the run's state and the commands its journal offers", () => {
  const decision = decideHosts([host('node1', [marker('old-run', { machine: 'laptop-b' })])], self(), new Map([['old-run', journalHere('old-run', 'crashed', ['node1'])]]));
  const text = describeRefusal(decision.refusals[0]!, here);
  assert.match(text, /its journal here says: crashed/);
  assert.match(text, /`drbook resume old-run` to continue it, or `drbook rollback old-run` to undo it/, 'no --state-dir: it is ours');
  const elsewhere = decideHosts([host('node1', [marker('old-run')])], self(), new Map([['old-run', journalHere('old-run', 'crashed', ['node1'], '/srv/other-state')]]));
  assert.match(describeRefusal(elsewhere.refusals[0]!, here), /drbook resume old-run --state-dir \/srv\/other-state/);
});

test('markers shown harmless by their journal are cleared: the run ended done or rolled back, or never began a change on that host', () => {
  const lookups = new Map<string, RunLookup>([
    ['done-run', journalHere('done-run', 'done', ['node1'])],
    ['undone-run', journalHere('undone-run', 'rolled-back', ['node1'])],
    ['early-kill', journalHere('early-kill', 'crashed', ['node2'])],
  ]);
  const decision = decideHosts([host('node1', [marker('done-run'), marker('undone-run'), marker('early-kill')])], self(), lookups);
  assert.deepEqual(decision.refusals, []);
  assert.deepEqual(
    decision.clear.map((c) => [c.runId, c.why]),
    [
      ['done-run', 'its journal says done'],
      ['undone-run', 'its journal says rolled-back'],
      ['early-kill', 'its journal (crashed) shows no change begun on node1'],
    ],
  );
});

test('a run still running (by its journal) or a failed one with changes is never cleared', () => {
  for (const state of ['running', 'failed', 'rollback-failed', 'interrupted'] as const) {
    const decision = decideHosts([host('node1', [marker('r')])], self(), new Map([['r', journalHere('r', state, ['node1'])]]));
    assert.equal(decision.refusals.length, 1, state);
    assert.deepEqual(decision.clear, [], state);
  }
  const running = decideHosts([host('node1', [marker('r')])], self(), new Map([['r', journalHere('r', 'running', [])]]));
  assert.equal(running.refusals.length, 1, 'running: not cleared even without changes yet');
});

test('--ignore-run overrides the named run only', () => {
  const lookups = new Map([
    ['a', notHere],
    ['b', notHere],
  ]);
  const decision = decideHosts([host('node1', [marker('a'), marker('b')])], self(['a']), lookups);
  assert.deepEqual(
    decision.override.map((o) => o.runId),
    ['a'],
  );
  assert.deepEqual(
    decision.refusals.map((r) => r.runId),
    ['b'],
  );
});

test("a run's own marker is its own (resume, rollback), unless another run went ahead over it since", () => {
  const own = decideHosts([host('node1', [marker('me')])], self([], 'me'), new Map());
  assert.deepEqual(own.refusals, []);
  const by = { runId: 'later', machine: 'laptop-b', user: 'bob', at: '2026-11-23T10:00:00Z' };
  const overridden = decideHosts([host('node1', [marker('me', { overriddenBy: by })])], self([], 'me'), new Map());
  assert.equal(overridden.refusals[0]!.kind, 'overridden');
  assert.match(describeRefusal(overridden.refusals[0]!, here), /run later \(bob@laptop-b\) went ahead over this run's leftovers.*--ignore-run later/s);
  assert.deepEqual(decideHosts([host('node1', [marker('me', { overriddenBy: by })])], self(['later'], 'me'), new Map()).refusals, []);
});

test("another run's overridden marker refuses nothing (the overriding run answers for the host now)", () => {
  const by = { runId: 'later', machine: 'laptop-b', user: 'bob', at: '2026-11-23T10:00:00Z' };
  const decision = decideHosts([host('node1', [marker('old', { overriddenBy: by })])], self(), new Map());
  assert.deepEqual(decision.refusals, []);
  assert.match(decision.notes[0]!.message, /run old left changes on node1 that run later overrode/);
});

test('a damaged marker refuses, naming its run; commands in flight are waited for and named in the refusal', () => {
  const damaged = decideHosts([{ host: 'node1', markers: [{ runId: 'x', problem: 'not a JSON object' }], inflight: [] }], self(), new Map());
  assert.equal(damaged.refusals[0]!.kind, 'damaged-marker');
  assert.match(describeRefusal(damaged.refusals[0]!, here), /the marker of run x cannot be read \(not a JSON object\)/);
  const busy = decideHosts([host('node1', [marker('old')], ['old'])], self(), new Map([['old', notHere]]));
  assert.deepEqual(busy.waitFor, [{ host: 'node1', runIds: ['old'] }]);
  assert.match(describeRefusal(busy.refusals[0]!, here), /a command of that run is still running on node1/);
  const mine = decideHosts([host('node1', [marker('me')], ['me'])], self([], 'me'), new Map());
  assert.deepEqual(mine.waitFor, [{ host: 'node1', runIds: ['me'] }], 'a resume waits for its own orphans too');
});

test('whether the run behind a marker changed this host is asked by what the host is: another name for it is not "no change begun"', () => {
  // The crashed run called this host m1 and changed it; this run calls it node1.
  const changedAsM1: RunLookup = { ...journalHere('crashed-run', 'crashed', ['m1']), changedKeys: ['ssh-10.0.0.11-22'] } as RunLookup;
  const atM1 = { ...host('node1', [marker('crashed-run')]), key: 'ssh-10.0.0.11-22' };
  const same = decideHosts([atM1], self(), new Map([['crashed-run', changedAsM1]]));
  assert.deepEqual(same.clear, [], 'its marker stays');
  assert.equal(same.refusals[0]?.kind, 'unfinished');
  // The same name for another host (another cluster's node1): the run did not change this one.
  const elsewhere = { ...journalHere('crashed-run', 'crashed', ['node1']), changedKeys: ['ssh-10.0.1.11-22'] } as RunLookup;
  const other = decideHosts([{ ...host('node1', [marker('crashed-run')]), key: 'ssh-10.0.0.11-22' }], self(), new Map([['crashed-run', elsewhere]]));
  assert.deepEqual(
    other.clear.map((c) => c.why),
    ['its journal (crashed) shows no change begun on node1'],
  );
  // A journal from before host keys: by name, as before.
  const old = decideHosts([{ ...host('node1', [marker('crashed-run')]), key: 'ssh-10.0.0.11-22' }], self(), new Map([['crashed-run', journalHere('crashed-run', 'crashed', ['node1'])]]));
  assert.equal(old.refusals[0]?.kind, 'unfinished');
});
