// The one builder of the engine's request (run/plan, resume, rehearsal): its defaults,
// and a resume taking the run's id, start and parameters from its journal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../src/core/events.js';
import { buildRunRequest, type RunRequestInput } from '../../src/engine/run-request.js';
import { header } from '../journal/helpers.js';

const input = (extra: Partial<RunRequestInput> = {}): RunRequestInput => ({
  runbook: { params: {} } as unknown as RunRequestInput['runbook'],
  inventory: { hosts: {}, groups: {} },
  hosts: [],
  cliParams: { a: '1' },
  stateDir: '/state',
  bus: new EventBus(),
  interrupt: new AbortController().signal,
  confirm: async () => true,
  ...extra,
});

test('a new run: rollback on failure and on interrupt by default, a fresh run id unless given, started now', () => {
  const before = Date.now();
  const request = buildRunRequest(input());
  assert.equal(request.rollbackOnFailure, true);
  assert.equal(request.onInterrupt, 'rollback');
  assert.match(request.runId, /^\d{8}T\d{6}Z-[0-9a-f]+$/);
  assert.ok(Date.parse(request.startedAt) >= before - 1000);
  assert.deepEqual(request.cliParams, { a: '1' });
  assert.deepEqual(request.ignoreRuns, []);
  assert.equal(request.resumeFrom, undefined);
  const given = buildRunRequest(input({ runId: 'r-given', rollbackOnFailure: false, onInterrupt: 'stop', ignoreRuns: ['x'] }));
  assert.deepEqual([given.runId, given.rollbackOnFailure, given.onInterrupt, given.ignoreRuns], ['r-given', false, 'stop', ['x']]);
});

test("a resume keeps the run's id and start from the journal, and lays the secrets given now over its journaled parameters", () => {
  const journal = [{ ...header('r-old'), cliParams: { target: '/tmp/x', mode: 'fast' } }];
  const request = buildRunRequest(input({ cliParams: { token: 's3cret', mode: 'slow' }, resumeFrom: journal, runId: 'ignored' }));
  assert.equal(request.runId, 'r-old');
  assert.equal(request.startedAt, '2026-11-23T09:15:30.000Z');
  assert.deepEqual(request.cliParams, { target: '/tmp/x', mode: 'slow', token: 's3cret' });
  assert.equal(request.resumeFrom, journal);
  assert.throws(() => buildRunRequest(input({ resumeFrom: [] })), /without its header/);
});
