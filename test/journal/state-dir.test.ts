import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DrbookError } from '../../src/core/errors.js';
import { journalPath, locksDir, newRunId, resolveStateDir, runDir } from '../../src/journal/state-dir.js';

test('resolveStateDir: --state-dir wins over every variable, and is made absolute', () => {
  const env = { DRBOOK_STATE_DIR: '/env/drbook', XDG_STATE_HOME: '/xdg' };
  assert.equal(resolveStateDir('/flag/dir', env), '/flag/dir');
  assert.equal(resolveStateDir('rel/dir', env), resolve('rel/dir'));
});

test('resolveStateDir: $DRBOOK_STATE_DIR > $XDG_STATE_HOME/drbook > ~/.local/state/drbook', () => {
  assert.equal(resolveStateDir(undefined, { DRBOOK_STATE_DIR: '/env/drbook', XDG_STATE_HOME: '/xdg' }), '/env/drbook');
  assert.equal(resolveStateDir(undefined, { XDG_STATE_HOME: '/xdg' }), '/xdg/drbook');
  assert.equal(resolveStateDir(undefined, {}), join(homedir(), '.local', 'state', 'drbook'));
  // Empty values count as unset; a relative XDG_STATE_HOME is invalid per the XDG spec.
  assert.equal(resolveStateDir('', { DRBOOK_STATE_DIR: '', XDG_STATE_HOME: 'relative' }), join(homedir(), '.local', 'state', 'drbook'));
});

test('newRunId: UTC time to the second, then 4 hex digits; sorts by time', () => {
  const id = newRunId(new Date('2026-11-23T09:15:30.789Z'));
  assert.match(id, /^20261123T091530Z-[0-9a-f]{4}$/);
  const later = newRunId(new Date('2026-11-23T09:15:31.000Z'));
  assert.ok(later > id, `${later} should sort after ${id}`);
  const ids = new Set(Array.from({ length: 50 }, () => newRunId(new Date('2026-11-23T09:15:30Z'))));
  assert.ok(ids.size > 40, 'the random part varies between ids of the same second');
});

test('the layout: runs/<runId>/journal.jsonl and locks/', () => {
  assert.equal(journalPath('/s', '20261123T091530Z-3fa9'), '/s/runs/20261123T091530Z-3fa9/journal.jsonl');
  assert.equal(locksDir('/s'), '/s/locks');
});

test('a run id that could leave runs/ is refused', () => {
  for (const bad of ['../etc', 'a/b', '', '..', '.hidden']) {
    assert.throws(
      () => runDir('/s', bad),
      (e: unknown) => e instanceof DrbookError && e.kind === 'journal' && e.message.includes('invalid run id'),
      bad,
    );
  }
});
