// Crash safety of the engine itself, through the real CLI over temporary trees (no
// sandbox, no network: no loopback prefix). DRBOOK_FAULT kills drbook with SIGKILL at a
// chosen point, deterministically; then `drbook rollback` or `drbook resume` must get
// the hosts back to a state their checks prove, and every exit code must say what the
// hosts are in. The runbook is fixtures/runbooks/e2e/swap-tree.yaml (host `local`):
//   stash-config #0 mkdir stash, #1 move config; build-replacement #0; check #0;
//   swap #0 keep data as data-old, #1 move data-new in, #2 owner/mode; slow #0; unstash-config #0; late-check #0
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEvents, REPO, runCli, startCli, waitForOutput } from './support/cli.js';
import { fingerprintTree } from './support/tree.js';

const RUNBOOK = join(REPO, 'fixtures/runbooks/e2e/swap-tree.yaml');

async function makeTree(t: { after: (fn: () => Promise<void>) => void }) {
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-crash-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = join(base, 'tree');
  const stateDir = join(base, 'state');
  await mkdir(join(root, 'live'), { recursive: true });
  await mkdir(join(root, 'data/member/snap'), { recursive: true });
  await writeFile(join(root, 'live/config.yaml'), 'name: original\n');
  await writeFile(join(root, 'data/member/snap/db'), 'old-data');
  await chmod(join(root, 'data'), 0o700);
  return { base, root, stateDir };
}

async function runs(stateDir: string): Promise<Array<Record<string, any>>> {
  const listed = await runCli(['runs', '--json'], { stateDir });
  return listed.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** `drbook run` killed by DRBOOK_FAULT: returns the run id. */
async function crashAt(fault: string, root: string, stateDir: string, extra: string[] = []): Promise<string> {
  const crashed = await runCli(['run', RUNBOOK, '-p', `root=${root}`, '-o', 'json', ...extra], { stateDir, env: { DRBOOK_FAULT: fault } });
  assert.equal(crashed.signal, 'SIGKILL', `${fault} should kill drbook: ${crashed.stdout}${crashed.stderr}`);
  const runId = parseEvents(crashed.stdout).find((e) => e.type === 'run.started')?.runId;
  assert.ok(runId, crashed.stdout);
  return String(runId);
}

test('killed after the first move of the data-dir swap, before its result: `drbook rollback` puts the ORIGINAL data dir back (same inode) and says so only after the checks', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const before = await fingerprintTree(root);
  const inode = (await stat(join(root, 'data'))).ino;
  const runId = await crashAt('kill-before-result:swap:local:0', root, stateDir);
  assert.ok(existsSync(join(root, 'data-old/member/snap/db')), 'the first move had happened');
  assert.equal(existsSync(join(root, 'data')), false);
  const [run] = await runs(stateDir);
  assert.equal(run!.state, 'crashed');
  assert.equal(run!.inFlight, 1);
  assert.match(run!.note, /1 change\(s\) were in flight and may or may not have happened/);
  const report = await runCli(['report', runId], { stateDir });
  assert.match(report.stdout, /keep \S+\/data as \S+\/data-old .*no result recorded\*\*: it may or may not have happened/);

  const rollback = await runCli(['rollback', runId, '-o', 'plain'], { stateDir });
  assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
  assert.match(rollback.stderr + rollback.stdout, /rolled back \(\d+ change\(s\) undone, \d+ found not applied\); every check says reverted/);
  assert.doesNotMatch(rollback.stderr + rollback.stdout, /every change was undone/);
  assert.deepEqual(await fingerprintTree(root), before, 'byte-identical tree');
  assert.equal((await stat(join(root, 'data'))).ino, inode, 'the very directory that was live, not a new one');
  const [after] = await runs(stateDir);
  assert.equal(after!.state, 'rolled-back');
  assert.equal(after!.canRollback, false);
  const journal = await readFile(join(stateDir, 'runs', runId, 'journal.jsonl'), 'utf8');
  assert.match(journal, /"t":"probe","stepId":"swap","host":"local","index":0,"phase":"before-undo","verdict":"applied"/);
  assert.match(journal, /"t":"probe","stepId":"swap","host":"local","index":0,"phase":"after-undo","verdict":"reverted"/);
  assert.match(journal, /"phase":"final","verdict":"reverted"/);
});

test('killed after the first move of the swap: `drbook resume` resolves it by its check (applied), finishes the swap, and completes', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const inode = (await stat(join(root, 'data'))).ino;
  const runId = await crashAt('kill-before-result:swap:local:0', root, stateDir);
  const resumed = await runCli(['resume', runId, '-o', 'plain'], { stateDir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /step swap #0 \(cut off; resume checks\): applied/);
  assert.equal(await readFile(join(root, 'data/member'), 'utf8'), 'restored\n');
  assert.equal((await stat(join(root, 'data-old'))).ino, inode, 'the old data dir is kept, itself');
  assert.equal(await readFile(join(root, 'live/config.yaml'), 'utf8'), 'name: original\n');
  const report = await runCli(['report', runId], { stateDir });
  assert.match(report.stdout, /cut off in flight\*\*; when the run was resumed its check said it had happened/);
});

test('killed after the config moved to the stash, before its result: rollback brings it back byte-identical; resume completes without moving it twice', async (t) => {
  for (const how of ['rollback', 'resume'] as const) {
    const { root, stateDir } = await makeTree(t);
    const before = await fingerprintTree(root);
    const runId = await crashAt('kill-before-result:stash-config:local:1', root, stateDir);
    assert.equal(existsSync(join(root, 'live/config.yaml')), false);
    const after = await runCli([how, runId, '-o', 'plain'], { stateDir });
    assert.equal(after.code, 0, `${how}: ${after.stdout}${after.stderr}`);
    if (how === 'rollback') assert.deepEqual(await fingerprintTree(root), before);
    else {
      assert.equal(await readFile(join(root, 'live/config.yaml'), 'utf8'), 'name: original\n');
      assert.equal(existsSync(join(root, 'stash/config.yaml')), false);
      // Its check found the move applied, and it was the step's last change: the step is done, nothing moved again.
      assert.match(after.stdout, /step stash-config #1 \(cut off; resume checks\): applied/);
      assert.doesNotMatch(after.stdout, /\$ mv -- \S*live\/config\.yaml/, 'the config is not moved a second time');
    }
  }
});

test('a run killed before any change took effect is not a trap: `drbook rollback` probes, journals an end, and says nothing was applied', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const before = await fingerprintTree(root);
  // Killed once the mkdir's intent is on disk, before it ran (header, plan, hosts-locked, step, intent).
  const runId = await crashAt('kill-after-entry:5', root, stateDir);
  assert.deepEqual(await fingerprintTree(root), before);
  const [run] = await runs(stateDir);
  assert.equal(run!.state, 'crashed');
  assert.equal(run!.canRollback, true);
  const rollback = await runCli(['rollback', runId, '-o', 'plain'], { stateDir });
  assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
  assert.match(rollback.stdout + rollback.stderr, /nothing was applied \(0 change\(s\) undone, 1 found not applied\)/);
  const [after] = await runs(stateDir);
  assert.equal(after!.state, 'failed', 'ended, not crashed any more');
  assert.equal(after!.canRollback, false);
});

test('a run refused before any change is "failed" with "nothing was changed", exit 1 — not "rolled-back"', async (t) => {
  const { root, stateDir } = await makeTree(t);
  await rm(join(root, 'live/config.yaml'));
  const result = await runCli(['run', RUNBOOK, '-p', `root=${root}`, '-o', 'json'], { stateDir });
  assert.equal(result.code, 1, result.stderr);
  const finished = parseEvents(result.stdout).find((e) => e.type === 'run.finished')!;
  assert.equal(finished.state, 'failed');
  assert.match(finished.error, /nothing was changed/);
  assert.equal(
    parseEvents(result.stdout).some((e) => e.type === 'rollback.started'),
    false,
    'no rollback of nothing',
  );
  const [run] = await runs(stateDir);
  assert.equal(run!.state, 'failed');
});

test('a full state dir (the journal cannot be written): the run stops, rolls back from the journal in memory, verifies, and says the file is incomplete', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const before = await fingerprintTree(root);
  // Line 10 ends stash-config (line 3 is hosts-locked); from line 11 on every write fails as on a full disk.
  const result = await runCli(['run', RUNBOOK, '-p', `root=${root}`, '-o', 'json'], { stateDir, env: { DRBOOK_FAULT: 'enospc-after-entry:10' } });
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 1, out);
  const events = parseEvents(result.stdout);
  const finished = events.find((e) => e.type === 'run.finished')!;
  assert.equal(finished.state, 'rolled-back');
  assert.match(finished.error, /cannot write the journal .*ENOSPC/);
  assert.match(finished.error, /the journal on disk is incomplete: it holds 10 of this run's \d+ entries/);
  assert.ok(events.some((e) => e.type === 'output' && /rolling back from the journal held in memory/.test(e.text)));
  assert.deepEqual(await fingerprintTree(root), before, 'every change undone, verified');
  assert.equal(events.filter((e) => e.type === 'change.started' && e.stepId !== 'stash-config').length, 0, 'no change started after the journal failed');
  // The file stops at line 10: the run is "crashed" there, and a later rollback finds nothing applied.
  const runId = String(finished.runId);
  assert.equal((await readFile(join(stateDir, 'runs', runId, 'journal.jsonl'), 'utf8')).trim().split('\n').length, 10);
  const [run] = await runs(stateDir);
  assert.equal(run!.state, 'crashed');
  const rollback = await runCli(['rollback', runId, '-o', 'plain'], { stateDir });
  assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
  assert.match(rollback.stdout + rollback.stderr, /nothing was applied \(0 change\(s\) undone, 2 found not applied\)/);
});

test('a full state dir with --no-rollback: exit 3, the changes are left and the run says so', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const result = await runCli(['run', RUNBOOK, '-p', `root=${root}`, '--no-rollback', '-o', 'json'], { stateDir, env: { DRBOOK_FAULT: 'enospc-after-entry:10' } });
  assert.equal(result.code, 3, result.stdout + result.stderr);
  const finished = parseEvents(result.stdout).find((e) => e.type === 'run.finished')!;
  assert.match(finished.error, /2 change\(s\) may still be applied/);
  assert.ok(existsSync(join(root, 'stash/config.yaml')));
});

test('a second signal during the rollback abandons it: exit 3 (changes remain), state rollback-failed, and `drbook rollback` finishes it', async (t) => {
  const { base, root, stateDir } = await makeTree(t);
  const runbook = join(base, 'slow-undo.yaml');
  const marker = join(root, 'made');
  await writeFile(
    runbook,
    `apiVersion: drbook/v1
kind: Runbook
metadata: { name: slow-undo }
steps:
  - id: make
    name: Make a file, with a slow undo
    run: touch ${marker}
    rollback: echo undo-started; sleep 5; rm -f ${marker}
    check: if [ -e ${marker} ]; then echo applied; else echo reverted; fi
  - id: wait
    name: A long step
    run: echo slow-started; sleep 30
`,
  );
  const cli = startCli(['run', runbook, '-o', 'plain'], { stateDir });
  await waitForOutput(cli.output, (o) => o.includes('slow-started'));
  cli.child.kill('SIGINT');
  await waitForOutput(cli.output, (o) => o.includes('undo-started'));
  cli.child.kill('SIGINT');
  const result = await cli.done;
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(result.stdout, /RUN rollback-failed \(exit 3\)/);
  assert.ok(existsSync(marker), 'the abandoned undo left the change applied');
  const [run] = await runs(stateDir);
  assert.equal(run!.state, 'rollback-failed');
  const rollback = await runCli(['rollback', run!.runId, '-o', 'plain'], { stateDir });
  assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
  assert.equal(existsSync(marker), false);
});
