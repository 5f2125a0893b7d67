// A journal that cannot be written: no change starts without its intent on disk, the
// entries are kept in memory for the rollback, and what the file lacks is appended
// once it can be written again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DrbookError } from '../../src/core/errors.js';
import { EventBus } from '../../src/core/events.js';
import { RunRecorder } from '../../src/engine/recorder.js';
import { executeRun } from '../../src/engine/run.js';
import type { Host } from '../../src/core/inventory.js';
import { JournalWriter, readJournal } from '../../src/journal/journal.js';
import type { JournalEntry } from '../../src/core/journal-records.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { builtinActions } from '../../src/actions/registry.js';
import { Masker } from '../../src/shell/masker.js';
import { header } from '../journal/helpers.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-journal-failure-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('after a failed write: intents are refused, other entries kept in memory, and appendMissing completes the file once it can', async (t) => {
  const stateDir = await tempDir(t);
  const real = await JournalWriter.create(stateDir, header('r1', ['m1']));
  let failing = false;
  const writer = {
    path: real.path,
    write: (e: JournalEntry) => (failing ? Promise.reject(new DrbookError('journal', 'cannot write the journal: ENOSPC')) : real.write(e)),
    close: () => real.close(),
  } as unknown as JournalWriter;
  const recorder = new RunRecorder(writer, new EventBus(), new Masker(), [header('r1', ['m1'])]);
  const failures: string[] = [];
  recorder.onJournalFailure((e) => failures.push(e.message));
  await recorder.record({ t: 'plan', steps: [] });
  failing = true;
  await recorder.record({ t: 'step', stepId: 'a', state: 'running' }); // not an intent: kept, no throw
  assert.deepEqual(failures, ['cannot write the journal: ENOSPC']);
  await assert.rejects(recorder.record({ t: 'intent', stepId: 'a', host: 'm1', index: 0, description: 'x', undo: null, undoOnFailure: false, readOnly: false }), /ENOSPC/, 'no change may start');
  await recorder.record({ t: 'end', state: 'failed', exitCode: 1 });
  assert.equal(recorder.durableCount, 2);
  assert.equal((await readJournal(stateDir, 'r1')).length, 2);
  failing = false;
  assert.equal(await recorder.appendMissing(stateDir, 'r1'), undefined);
  const onDisk = await readJournal(stateDir, 'r1');
  assert.deepEqual(
    onDisk.map((e) => e.t),
    ['run', 'plan', 'step', 'end'],
    'the refused intent never existed; everything else is there, in order',
  );
});

test('a run whose journal fails after a change rolls back from memory, verifies, exits 1, and says the file is incomplete; without rollback it exits 3', async (t) => {
  for (const rollbackOnFailure of [true, false]) {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'a'), 'data');
    const yaml = `apiVersion: drbook/v1\nkind: Runbook\nmetadata: { name: t }\nsteps:\n  - { id: one, name: One, uses: file.move, with: { from: "${dir}/a", to: "${dir}/b" } }\n  - { id: two, name: Two, run: "touch ${dir}/two" }\n`;
    // The host lock and run markers go in the test's folder (as root the default would be /var/lib/drbook).
    const host: Host = { name: 'local', connection: 'local', ssh: {}, vars: {}, groups: [], hostStateDir: join(dir, 'host-state') };
    const runId = `jf-${rollbackOnFailure}`;
    // header 1, plan 2, hosts-locked 3, step one 4, intent 5, result 6, host 7, step 8: the next write (step two) fails.
    process.env.DRBOOK_FAULT = 'enospc-after-entry:8';
    try {
      const outcome = await executeRun({
        runbook: parseRunbook(yaml, join(dir, 'runbook.yaml'), builtinActions),
        inventory: { hosts: { local: host }, groups: {} },
        hosts: [host],
        cliParams: {},
        stateDir: join(dir, 'state'),
        bus: new EventBus(),
        interrupt: new AbortController().signal,
        confirm: async () => true,
        runId,
        startedAt: new Date().toISOString(),
        rollbackOnFailure,
        onInterrupt: 'rollback',
      });
      assert.equal(existsSync(join(dir, 'two')), false, 'nothing ran after the journal failed');
      if (rollbackOnFailure) {
        assert.equal(outcome.exitCode, 1, outcome.error);
        assert.equal(outcome.state, 'rolled-back');
        assert.equal(await readFile(join(dir, 'a'), 'utf8'), 'data', 'undone from the journal in memory');
        assert.match(outcome.error ?? '', /the journal on disk is incomplete: it holds 8 of this run's \d+ entries/);
      } else {
        assert.equal(outcome.exitCode, 3, outcome.error);
        assert.ok(existsSync(join(dir, 'b')));
      }
      assert.equal((await readJournal(join(dir, 'state'), runId)).length, 8);
    } finally {
      delete process.env.DRBOOK_FAULT;
    }
  }
});
