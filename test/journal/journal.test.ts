import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DrbookError } from '../../src/core/errors.js';
import { JournalWriter, readJournal } from '../../src/journal/journal.js';
import type { JournalEntry } from '../../src/core/journal-records.js';
import { journalPath } from '../../src/journal/state-dir.js';
import { fixturePath, fixtureText, header, installFixture, tempStateDir } from './helpers.js';

function hostEntry(i: number, host = 'm1'): JournalEntry {
  return { t: 'host', at: new Date(Date.UTC(2026, 10, 23, 9, 16, 0, i)).toISOString(), stepId: `s${i}`, host, state: 'running' };
}

const isJournalError = (pattern: RegExp) => (e: unknown) => e instanceof DrbookError && e.kind === 'journal' && pattern.test(e.message);

test('create writes the header, makes the run folder 0700 and the file 0600, and reads back', async (t) => {
  const stateDir = await tempStateDir(t);
  const writer = await JournalWriter.create(stateDir, header('20261123T091530Z-0001'));
  await writer.write(hostEntry(1));
  await writer.close();
  assert.equal((await stat(join(stateDir, 'runs', '20261123T091530Z-0001'))).mode & 0o777, 0o700);
  assert.equal((await stat(writer.path)).mode & 0o777, 0o600);
  const entries = await readJournal(stateDir, '20261123T091530Z-0001');
  assert.deepEqual(entries, [header('20261123T091530Z-0001'), hostEntry(1)]);
  assert.ok((await readFile(writer.path, 'utf8')).endsWith('}\n'), 'every line ends with a newline');
});

test('create refuses a run id that exists: a journal is never merged into another run', async (t) => {
  const stateDir = await tempStateDir(t);
  await (await JournalWriter.create(stateDir, header('20261123T091530Z-0002'))).close();
  await assert.rejects(JournalWriter.create(stateDir, header('20261123T091530Z-0002')), (e: unknown) => e instanceof DrbookError && e.kind === 'journal' && /already exists/.test(e.message));
  assert.equal((await readJournal(stateDir, '20261123T091530Z-0002')).length, 1, 'the first journal is untouched');
});

test('concurrent writes land in call order, and each resolves only once its line is in the file', async (t) => {
  const stateDir = await tempStateDir(t);
  const writer = await JournalWriter.create(stateDir, header('20261123T091530Z-0003'));
  const entries = Array.from({ length: 120 }, (_, i) => hostEntry(i, i % 2 ? 'm1' : 'm2'));
  const onDiskAtResolve: boolean[] = [];
  // As parallel hosts do: many writes in flight at once, none awaited before the next.
  await Promise.all(
    entries.map((entry, i) =>
      writer.write(entry).then(() => {
        onDiskAtResolve[i] = readFileSync(writer.path, 'utf8').includes(JSON.stringify(entry) + '\n');
      }),
    ),
  );
  await writer.close();
  assert.ok(onDiskAtResolve.every(Boolean), 'a write resolved before its line was written');
  const read = await readJournal(stateDir, '20261123T091530Z-0003');
  assert.deepEqual(read.slice(1), entries);
});

test('writing after close is refused; close twice is harmless', async (t) => {
  const stateDir = await tempStateDir(t);
  const writer = await JournalWriter.create(stateDir, header('20261123T091530Z-0004'));
  await writer.close();
  await writer.close();
  await assert.rejects(writer.write(hostEntry(1)), /closed/);
});

test('a failed write poisons the writer: nothing may follow a possibly partial line', async (t) => {
  const stateDir = await tempStateDir(t);
  const writer = await JournalWriter.create(stateDir, header('20261123T091530Z-0005'));
  // Break the file handle under the writer, as a vanished disk would.
  await (writer as unknown as { handle: { close(): Promise<void> } }).handle.close();
  await assert.rejects(writer.write(hostEntry(1)), isJournalError(/cannot write the journal/));
  await assert.rejects(writer.write(hostEntry(2)), isJournalError(/cannot write the journal/));
});

test('append reopens a run and adds to it', async (t) => {
  const stateDir = await tempStateDir(t);
  const first = await JournalWriter.create(stateDir, header('20261123T091530Z-0006'));
  await first.write(hostEntry(1));
  await first.close();
  const again = await JournalWriter.append(stateDir, '20261123T091530Z-0006');
  await again.write({ t: 'resumed', at: '2026-11-23T10:00:00.000Z', pid: 4242 });
  await again.close();
  const entries = await readJournal(stateDir, '20261123T091530Z-0006');
  assert.deepEqual(
    entries.map((e) => e.t),
    ['run', 'host', 'resumed'],
  );
});

test('readJournal ignores the torn last line of a crashed run', async (t) => {
  const stateDir = await tempStateDir(t);
  const runId = await installFixture(stateDir, 'crashed-run');
  const lines = fixtureText('crashed-run').split('\n');
  assert.ok(!fixtureText('crashed-run').endsWith('\n'), 'the fixture ends mid-line');
  const entries = await readJournal(stateDir, runId);
  assert.equal(entries.length, lines.length - 1);
  assert.equal(entries.at(-1)!.t, 'intent', 'the last complete entry is the intent whose result was being written');
});

test('append after a crash drops the torn line first, so it cannot corrupt the middle of the file', async (t) => {
  const stateDir = await tempStateDir(t);
  const runId = await installFixture(stateDir, 'crashed-run');
  const before = await readJournal(stateDir, runId);
  const writer = await JournalWriter.append(stateDir, runId);
  await writer.write({ t: 'resumed', at: '2026-11-23T11:00:00.000Z', pid: 4243 });
  await writer.close();
  const text = await readFile(journalPath(stateDir, runId), 'utf8');
  assert.ok(!text.includes('"at":"2026-11-23T10:00:21.5\n'), 'the torn text is gone');
  const after = await readJournal(stateDir, runId);
  assert.deepEqual(after, [...before, { t: 'resumed', at: '2026-11-23T11:00:00.000Z', pid: 4243 }]);
});

test('a complete last line that only lacks its newline is kept, and append adds the newline', async (t) => {
  const stateDir = await tempStateDir(t);
  const writer = await JournalWriter.create(stateDir, header('20261123T091530Z-0007'));
  await writer.close();
  await appendFile(writer.path, JSON.stringify(hostEntry(1)));
  assert.equal((await readJournal(stateDir, '20261123T091530Z-0007')).length, 2);
  const again = await JournalWriter.append(stateDir, '20261123T091530Z-0007');
  await again.write(hostEntry(2));
  await again.close();
  assert.deepEqual((await readJournal(stateDir, '20261123T091530Z-0007')).slice(1), [hostEntry(1), hostEntry(2)]);
});

test('a corrupt line in the middle is an error naming the file and line number', async (t) => {
  const stateDir = await tempStateDir(t);
  const runId = await installFixture(stateDir, 'clean-run');
  const path = journalPath(stateDir, runId);
  const lines = (await readFile(path, 'utf8')).split('\n');
  lines[4] = lines[4]!.slice(0, 40); // line 5 cut short, lines after it intact
  await writeFile(path, lines.join('\n'));
  await assert.rejects(readJournal(stateDir, runId), isJournalError(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: corrupt journal entry: not valid JSON`)));
});

test('a well-formed line of the wrong shape is refused with the line and the field', async (t) => {
  const stateDir = await tempStateDir(t);
  const runId = await installFixture(stateDir, 'clean-run');
  const path = journalPath(stateDir, runId);
  const lines = (await readFile(path, 'utf8')).split('\n');
  lines[5] = JSON.stringify({ ...JSON.parse(lines[5]!), index: 'zero' });
  lines[7] = JSON.stringify({ t: 'mystery', at: 'now' });
  await writeFile(path, lines.join('\n'));
  await assert.rejects(readJournal(stateDir, runId), isJournalError(/:6: corrupt journal entry: entry "result": field "index" should be a number, found string/));
  lines[5] = fixtureText('clean-run').split('\n')[5]!;
  await writeFile(path, lines.join('\n'));
  await assert.rejects(readJournal(stateDir, runId), isJournalError(/:8: corrupt journal entry: unknown entry type "mystery"/));
});

test('an unknown run id is invalid input (exit 2) and says how to list the runs', async (t) => {
  const stateDir = await tempStateDir(t);
  await assert.rejects(readJournal(stateDir, '20991231T000000Z-dead'), (e: unknown) => {
    assert.ok(e instanceof DrbookError && e.kind === 'input');
    assert.match(e.message, /no run 20991231T000000Z-dead/);
    assert.match(e.hint ?? '', /drbook runs/);
    return true;
  });
  await assert.rejects(JournalWriter.append(stateDir, '20991231T000000Z-dead'), (e: unknown) => e instanceof DrbookError && /no run/.test(e.message));
});

test('a journal whose header is missing or names another run is refused', async (t) => {
  const stateDir = await tempStateDir(t);
  const dir = join(stateDir, 'runs', '20261123T091530Z-0008');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'journal.jsonl'), '{"t":"run","runId":"2026'); // killed while writing the header
  await assert.rejects(readJournal(stateDir, '20261123T091530Z-0008'), isJournalError(/does not start with its run header/));
  await copyFile(fixturePath('clean-run'), join(dir, 'journal.jsonl'));
  await assert.rejects(readJournal(stateDir, '20261123T091530Z-0008'), isJournalError(/names run 20261123T091530Z-3fa9/));
});
