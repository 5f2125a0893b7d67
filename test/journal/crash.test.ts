// A real kill -9 of a process in the middle of writing its journal: what it leaves
// must read back as a prefix of what it wrote, and accept a resume's appends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JournalWriter, readJournal } from '../../src/journal/journal.js';
import { journalPath } from '../../src/journal/state-dir.js';
import { header, tempStateDir } from './helpers.js';

const fromSource = import.meta.url.endsWith('.ts');
const journalModule = new URL(`../../src/journal/journal.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;

const CHILD = `
const { JournalWriter } = await import(process.env.JOURNAL_MODULE);
const header = JSON.parse(process.env.JOURNAL_HEADER);
const writer = await JournalWriter.create(process.env.STATE_DIR, header);
const big = 'x'.repeat(3000);
for (let i = 0; ; i += 4) {
  // Four hosts writing at once, as a parallel step does.
  await Promise.all([0, 1, 2, 3].map((h) => writer.write({
    t: 'intent', at: new Date().toISOString(), stepId: 'restore', host: 'm' + h, index: i + h,
    description: big, undo: null, undoOnFailure: false, readOnly: false,
  })));
}
`;

test('kill -9 mid-run leaves a journal that reads back in order and accepts a resume', async (t) => {
  const stateDir = await tempStateDir(t);
  const runId = '20261123T091530Z-c0de';
  const script = join(stateDir, 'child.mjs');
  await writeFile(script, CHILD);
  const args = [...(fromSource ? ['--import', import.meta.resolve('tsx')] : []), script];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, JOURNAL_MODULE: journalModule, JOURNAL_HEADER: JSON.stringify(header(runId)), STATE_DIR: stateDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit');
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const path = journalPath(stateDir, runId);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.split('\n').length > 200) break;
    assert.ok(child.exitCode === null, `the writer exited early: ${stderr}`);
    assert.ok(Date.now() < deadline, 'the writer did not get going in 20 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(process.kill(child.pid!, 'SIGKILL'), true);
  const [, signal] = await exited;
  assert.equal(signal, 'SIGKILL');

  const entries = await readJournal(stateDir, runId);
  assert.ok(entries.length > 200, `read ${entries.length} entries`);
  const indexes = entries.slice(1).map((e) => (e.t === 'intent' ? e.index : -1));
  assert.deepEqual(
    indexes,
    indexes.map((_, i) => i),
    'entries are a gap-free prefix in write order',
  );

  const writer = await JournalWriter.append(stateDir, runId);
  await writer.write({ t: 'resumed', at: new Date().toISOString(), pid: process.pid });
  await writer.close();
  const after = await readJournal(stateDir, runId);
  assert.equal(after.length, entries.length + 1);
  assert.equal(after.at(-1)!.t, 'resumed');
});
