import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import type { JournalEntry } from '../../src/core/journal-records.js';
import { checkUndoSecrets } from '../../src/engine/undo-secrets.js';

const at = '2024-01-01T00:00:00.000Z';
function intent(stepId: string, host: string, index: number, secret?: string): JournalEntry {
  const command = [{ t: 'lit' as const, v: 'undo ' }, ...(secret ? [{ t: 'secret' as const, name: secret }] : [])];
  return { t: 'intent', at, stepId, host, index, description: 'x', undo: { description: 'undo', command }, undoOnFailure: false, readOnly: false };
}

test('every undo still to run has its secrets, per host; those already undone need none', () => {
  const entries: JournalEntry[] = [
    intent('a', 'm1', 0, 'token'),
    intent('a', 'm2', 0, 'token'),
    intent('b', 'm1', 0, 'other'),
    { t: 'undo-result', at, stepId: 'b', host: 'm1', index: 0, ok: true, durationMs: 1 },
    intent('c', 'm1', 0),
  ];
  checkUndoSecrets(
    entries,
    new Map([
      ['m1', { token: 'abcd-1' }],
      ['m2', { token: 'abcd-2' }],
    ]),
  );
  assert.throws(
    () => checkUndoSecrets(entries, new Map([['m1', { token: 'abcd-1' }]])),
    (error: Error) =>
      error instanceof InputError &&
      /the undo of step `a` on m2 needs the secret param `token`.*-p token=\.\.\. or in the environment as DRBOOK_PARAM_TOKEN/.test(error.message) &&
      !/other/.test(error.message),
  );
});

test('many places are summed up; a secret too short to be masked is refused too', () => {
  const entries = Array.from({ length: 5 }, (_, i) => intent(`s${i}`, 'm1', 0, 'pw'));
  assert.throws(() => checkUndoSecrets(entries, new Map()), /step `s0` on m1, step `s1` on m1, step `s2` on m1 and 2 more needs the secret param `pw`/);
  assert.throws(() => checkUndoSecrets(entries, new Map([['m1', { pw: 'ab' }]])), /secret param `pw` is refused: a secret must have at least 4/);
});

test("a change's check, where the journal has one, needs its secrets too", () => {
  const entry = {
    ...intent('a', 'm1', 0),
    check: [
      { t: 'lit', v: 'test -e ' },
      { t: 'secret', name: 'pw' },
    ],
  } as unknown as JournalEntry;
  assert.throws(() => checkUndoSecrets([entry], new Map()), /the undo of step `a` on m1 needs the secret param `pw`/);
  checkUndoSecrets([entry], new Map([['m1', { pw: 'long-enough' }]]));
});
