// What drbook says when interrupted matches what it then does (through the real CLI,
// local host only, no network): --on-interrupt stop and --no-rollback say nothing will
// be rolled back and name the commands that finish the run, and roll nothing back; the
// default says it rolls back and does; a second signal abandons that rollback and says
// how to finish it; `drbook rollback` interrupted says it stops the rollback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interruptMessages } from '../../src/cli/signals.js';
import { runCli, startCli, waitForOutput } from './support/cli.js';

const RUNBOOK = `apiVersion: drbook/v1
kind: Runbook
metadata: { name: interrupted }
steps:
  - { id: first, name: First, run: "true", rollback: "sleep 1.5; echo undone-first" }
  - { id: slow, name: Slow, run: "sleep 30" }
`;

async function setUp(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-interrupt-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const runbook = join(dir, 'runbook.yaml');
  await writeFile(runbook, RUNBOOK);
  return { runbook, stateDir: join(dir, 'state') };
}

async function interruptedRun(args: string[], stateDir: string, signals: Array<{ after: RegExp; signal: NodeJS.Signals }>) {
  const cli = startCli(['run', ...args, '-o', 'plain'], { stateDir });
  for (const { after, signal } of signals) {
    await waitForOutput(cli.output, (text) => after.test(text));
    cli.child.kill(signal);
  }
  const result = await cli.done;
  const runId = (await readdir(join(stateDir, 'runs')))[0]!;
  const journal = await readFile(join(stateDir, 'runs', runId, 'journal.jsonl'), 'utf8');
  return { result, text: result.stdout + result.stderr, runId, journal };
}

for (const [flag, why] of [
  ['--on-interrupt=stop', '--on-interrupt stop'],
  ['--no-rollback', '--no-rollback'],
] as const) {
  test(`${flag}: says nothing will be rolled back, names resume and rollback, and rolls nothing back`, async (t) => {
    const { runbook, stateDir } = await setUp(t);
    const { text, runId, journal } = await interruptedRun([runbook, flag], stateDir, [{ after: /\$ sleep 30/, signal: 'SIGINT' }]);
    assert.match(text, new RegExp(`SIGINT: stopping the commands in flight; nothing will be rolled back \\(${why}\\): .*drbook resume ${runId}.*drbook rollback ${runId}`));
    assert.doesNotMatch(text, /will be journaled and rolled back/);
    assert.doesNotMatch(text, /undone-first/);
    assert.doesNotMatch(journal, /"t":"rollback"/);
  });
}

test('default: says it rolls back and does; a second signal abandons the rollback and says how to finish it', async (t) => {
  const { runbook, stateDir } = await setUp(t);
  const { text, runId, journal } = await interruptedRun([runbook], stateDir, [
    { after: /\$ sleep 30/, signal: 'SIGINT' },
    { after: /sleep 1\.5; echo undone-first/, signal: 'SIGTERM' },
  ]);
  assert.match(text, /SIGINT: stopping the commands in flight; the run will be journaled and rolled back \(send it again to abandon the rollback\)/);
  assert.match(text, new RegExp(`SIGTERM again: abandoning the rollback; the journal is kept — finish with \`drbook rollback ${runId}\``));
  assert.match(journal, /"t":"rollback","phase":"started"/);
  assert.doesNotMatch(text, /undone-first\n/, 'the abandoned undo did not finish');
});

test('drbook rollback interrupted says it stops the rollback', async (t) => {
  const { runbook, stateDir } = await setUp(t);
  const { runId } = await interruptedRun([runbook, '--on-interrupt=stop'], stateDir, [{ after: /\$ sleep 30/, signal: 'SIGINT' }]);
  const cli = startCli(['rollback', runId, '-o', 'plain'], { stateDir });
  await waitForOutput(cli.output, (text) => /sleep 1\.5; echo undone-first/.test(text));
  cli.child.kill('SIGINT');
  const result = await cli.done;
  assert.match(
    result.stdout + result.stderr,
    new RegExp(`SIGINT: stopping the rollback: the undo in flight is killed and the undos after it are not run; the journal is kept — finish with \`drbook rollback ${runId}\``),
  );
  assert.notEqual(result.code, 0);
  const finished = await runCli(['rollback', runId, '-o', 'plain'], { stateDir });
  assert.equal(finished.code, 0, finished.stdout + finished.stderr);
  assert.match(finished.stdout + finished.stderr, /undone-first/);
});

test('every plan has its own words', () => {
  assert.match(interruptMessages({ kind: 'plan' }).first, /a plan changes nothing/);
  assert.match(interruptMessages({ kind: 'run', rollback: true, abandonable: false }).again, /the rollback goes on/);
  assert.match(interruptMessages({ kind: 'run', rollback: false, why: 'the run was started with --no-rollback', runId: 'R' }).first, /\(the run was started with --no-rollback\).*drbook resume R/);
});
