// Shared by the journal tests: the hand-written fixture journals and throw-away state dirs.
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { parseJournal } from '../../src/journal/parse-journal.js';
import { fixture } from '../support/fixtures.js';
import type { JournalEntry, RunHeader } from '../../src/core/journal-records.js';

export type FixtureName = 'clean-run' | 'crashed-run' | 'rolled-back' | 'rollback-failed';

export const fixturesDir: string = fixture('journals');

export function fixturePath(name: FixtureName): string {
  return join(fixturesDir, `${name}.jsonl`);
}

export function fixtureText(name: FixtureName): string {
  return readFileSync(fixturePath(name), 'utf8');
}

export function fixtureEntries(name: FixtureName): JournalEntry[] {
  return parseJournal(fixtureText(name), fixturePath(name)).entries;
}

/** The run id in a fixture's header. */
export function fixtureRunId(name: FixtureName): string {
  const header = fixtureEntries(name)[0]!;
  if (header.t !== 'run') throw new Error(`${name}: no header`);
  return header.runId;
}

/** A fresh state dir, removed when the test ends (pass or fail). */
export async function tempStateDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-journal-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Place a fixture journal in a state dir as its run would have left it; returns the run id. */
export async function installFixture(stateDir: string, name: FixtureName): Promise<string> {
  const runId = fixtureRunId(name);
  await mkdir(join(stateDir, 'runs', runId), { recursive: true });
  await copyFile(fixturePath(name), join(stateDir, 'runs', runId, 'journal.jsonl'));
  return runId;
}

/** A run header for journals the tests write themselves. */
export function header(runId: string, hosts = ['m1', 'm2']): RunHeader {
  return {
    t: 'run',
    runId,
    at: '2026-11-23T09:15:30.000Z',
    runbook: { file: 'runbooks/demo.yaml', sha256: 'ab'.repeat(32), name: 'demo' },
    cliParams: { target: '/tmp/x' },
    secretParams: [],
    hosts,
    dryRun: false,
    rollbackOnFailure: true,
    pid: process.pid,
    machine: 'test-machine',
  };
}

/** The pid of a process that has exited (and been reaped): a real dead pid. */
export async function deadPid(): Promise<number> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', () => resolve());
    child.once('error', reject);
  });
  return pid;
}
