// The engine end to end, through the real CLI, over temporary directories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEvents, REPO, runCli, startCli, waitForOutput } from './support/cli.js';
import { fingerprintTree } from './support/tree.js';

const RUNBOOK = join(REPO, 'fixtures/runbooks/e2e/swap-tree.yaml');

async function makeTree(t: { after: (fn: () => Promise<void>) => void }) {
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = join(base, 'tree');
  const stateDir = join(base, 'state');
  await mkdir(join(root, 'live'), { recursive: true });
  await mkdir(join(root, 'data/member/snap'), { recursive: true });
  await writeFile(join(root, 'live/config.yaml'), 'name: original\n');
  await writeFile(join(root, 'data/member/snap/db'), 'old-data');
  await chmod(join(root, 'data'), 0o700);
  return { root, stateDir };
}

test('a clean run applies every step and exits 0', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const result = await runCli(['run', RUNBOOK, '-p', `root=${root}`, '-o', 'plain'], { stateDir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(await readFile(join(root, 'data/member'), 'utf8'), 'restored\n');
  assert.equal(await readFile(join(root, 'data-old/member/snap/db'), 'utf8'), 'old-data', 'the old data dir is kept');
  assert.equal(await readFile(join(root, 'live/config.yaml'), 'utf8'), 'name: original\n');
  assert.equal((await stat(join(root, 'data'))).mode & 0o777, 0o700, 'the swapped-in dir has the old mode');
  assert.ok(existsSync(join(root, 'data/slow-done')));
  assert.doesNotMatch(result.stdout + result.stderr, /s3cr3t-token-value/, 'the secret never appears in output');
  assert.match(result.stdout, /built with token \*\*\*/);
  const journals = await readdir(join(stateDir, 'runs'));
  assert.equal(journals.length, 1);
  const journal = await readFile(join(stateDir, 'runs', journals[0]!, 'journal.jsonl'), 'utf8');
  assert.doesNotMatch(journal, /s3cr3t-token-value/, 'the secret never appears in the journal');
  assert.match(journal, /"t":"end".*"state":"done"/);
});

test('a failure at the third step rolls back: the tree is byte-identical to before, exit 1', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const before = await fingerprintTree(root);
  const result = await runCli(['run', RUNBOOK, '-p', `root=${root}`, '-p', 'failAt=check', '-o', 'json'], { stateDir });
  assert.equal(result.code, 1, result.stderr);
  assert.deepEqual(await fingerprintTree(root), before);
  const events = parseEvents(result.stdout);
  const undone = events.filter((e) => e.type === 'undo.finished');
  assert.ok(undone.every((e) => e.ok));
  assert.deepEqual([...new Set(undone.map((e) => e.stepId))], ['build-replacement', 'stash-config'], 'completed steps undone in reverse order');
  assert.equal(events.at(-1)!.state, 'rolled-back');
});

test('a failure after the swap rolls everything back, including the swap', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const before = await fingerprintTree(root);
  const result = await runCli(['run', RUNBOOK, '-p', `root=${root}`, '-p', 'failAt=late-check', '-o', 'plain'], { stateDir });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.deepEqual(await fingerprintTree(root), before);
  assert.match(result.stdout, /rollback complete/);
});

test('--no-rollback leaves the changes for a human and exits 3; drbook rollback undoes them later', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const before = await fingerprintTree(root);
  const failed = await runCli(['run', RUNBOOK, '-p', `root=${root}`, '-p', 'failAt=late-check', '--no-rollback', '-o', 'plain'], { stateDir });
  assert.equal(failed.code, 3, failed.stdout + failed.stderr);
  assert.notDeepEqual(await fingerprintTree(root), before);
  const runId = /run (\S+): failed/.exec(failed.stderr)?.[1];
  assert.ok(runId, failed.stderr);
  const runs = await runCli(['runs'], { stateDir });
  assert.match(runs.stdout, new RegExp(`${runId}\\s+failed`));
  const rollback = await runCli(['rollback', runId!, '-o', 'plain'], { stateDir });
  assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
  assert.deepEqual(await fingerprintTree(root), before);
  const report = await runCli(['report', runId!], { stateDir });
  assert.equal(report.code, 0);
  assert.match(report.stdout, /swap-tree/);
  assert.match(report.stdout, /late-check/);
});

test('a dry-run changes nothing, shows every command and flags what has no undo', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const before = await fingerprintTree(root);
  const result = await runCli(['plan', RUNBOOK, '-p', `root=${root}`], { stateDir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.deepEqual(await fingerprintTree(root), before);
  assert.equal(existsSync(stateDir), false, 'a dry-run writes no journal and takes no lock');
  assert.match(result.stdout, /\$ mkdir -p -- \S+\/stash\n/);
  assert.match(result.stdout, /\$ mv -- \S+live\/config.yaml \S+stash\/config.yaml\n/);
  assert.match(result.stdout, /\$ mv -- .*\/data .*\/data-old/);
  assert.match(result.stdout, /built with token \*\*\*/);
  assert.doesNotMatch(result.stdout, /s3cr3t/);
  assert.match(result.stdout, /NO UNDO/, 'the check step has no rollback and is flagged');
  assert.match(result.stdout, /not simulated/);
});

test('a dry-run whose probes show the run would fail exits 1 and says why', async (t) => {
  const { root, stateDir } = await makeTree(t);
  await rm(join(root, 'data'), { recursive: true });
  const result = await runCli(['run', '--dry-run', RUNBOOK, '-p', `root=${root}`], { stateDir });
  assert.equal(result.code, 1);
  assert.match(result.stdout, /data does not exist: nothing to swap/);
});

test('kill -9 during a long step, then resume completes the run', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const cli = startCli(['run', RUNBOOK, '-p', `root=${root}`, '-p', 'sleep=2', '-o', 'plain'], { stateDir });
  await waitForOutput(cli.output, (o) => o.includes('slow-step-started'));
  cli.child.kill('SIGKILL');
  await cli.done;
  const runs = await runCli(['runs', '--json'], { stateDir });
  const [run] = runs.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(run.state, 'crashed');
  assert.equal(run.canResume, true);
  const resumed = await runCli(['resume', run.runId, '-o', 'plain'], { stateDir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /RESUME/);
  assert.equal(await readFile(join(root, 'data/member'), 'utf8'), 'restored\n');
  assert.equal(await readFile(join(root, 'data/slow-done'), 'utf8'), 'marker\n');
  assert.equal(await readFile(join(root, 'live/config.yaml'), 'utf8'), 'name: original\n');
  assert.doesNotMatch(resumed.stdout, /\$ mkdir \S+data-new/, 'steps done before the crash are not run again');
  assert.match(resumed.stdout, /\$ echo slow-step-started/, 'the step in flight is planned and run again');
});

test('SIGINT during a step stops it, rolls back, exits 130', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const before = await fingerprintTree(root);
  const cli = startCli(['run', RUNBOOK, '-p', `root=${root}`, '-p', 'sleep=30', '-o', 'plain'], { stateDir });
  await waitForOutput(cli.output, (o) => o.includes('slow-step-started'));
  cli.child.kill('SIGINT');
  const result = await cli.done;
  assert.equal(result.code, 130, result.stdout + result.stderr);
  assert.deepEqual(await fingerprintTree(root), before);
  assert.match(result.stdout, /ROLLBACK/);
});

test('a second run against the same targets is refused while the first holds the lock', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const first = startCli(['run', RUNBOOK, '-p', `root=${root}`, '-p', 'sleep=30', '-o', 'plain'], { stateDir });
  t.after(() => void first.child.kill('SIGKILL'));
  await waitForOutput(first.output, (o) => o.includes('slow-step-started'));
  const second = await runCli(['run', RUNBOOK, '-p', `root=${root}`, '-o', 'plain'], { stateDir });
  assert.equal(second.code, 2, second.stdout + second.stderr);
  assert.match(second.stderr, /lock/i);
  first.child.kill('SIGINT');
  assert.equal((await first.done).code, 130);
});

test('a step past its timeout has its whole process tree killed', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const runbook = join(base, 'timeout.yaml');
  await writeFile(
    runbook,
    `apiVersion: drbook/v1
kind: Runbook
metadata: { name: timeout }
steps:
  - id: hang
    name: Hang with a grandchild
    timeout: 500ms
    run: (sleep 3; touch ${join(base, 'survived')}) & echo $! > ${join(base, 'pid')}; wait
`,
  );
  const result = await runCli(['run', runbook, '-o', 'plain'], { stateDir: join(base, 'state') });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stdout + result.stderr, /timeout of 500ms/);
  await new Promise((r) => setTimeout(r, 3500));
  assert.equal(existsSync(join(base, 'survived')), false, 'the grandchild was killed with the step');
});

test('an invalid runbook fails validation with file:line:col and a run touches nothing', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const before = await fingerprintTree(root);
  const bad = join(root, '..', 'bad.yaml');
  await writeFile(bad, (await readFile(RUNBOOK, 'utf8')).replace('    uses: dir.swap\n', '    uses: dir.swap\n    timout: 5s\n'));
  const validate = await runCli(['validate', bad]);
  assert.equal(validate.code, 2);
  assert.match(validate.stderr, /bad\.yaml:\d+:\d+: .*timout/);
  const run = await runCli(['run', bad, '-p', `root=${root}`], { stateDir });
  assert.equal(run.code, 2);
  assert.deepEqual(await fingerprintTree(root), before);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
});

test('--help explains every command; a bad flag is a clear error with exit 2', async () => {
  for (const command of ['run', 'plan', 'validate', 'schema', 'runs', 'resume', 'rollback', 'report']) {
    const help = await runCli([command, '--help']);
    assert.equal(help.code, 0, command);
    assert.match(help.stdout, new RegExp(`Usage: drbook ${command}`), command);
  }
  const top = await runCli(['--help']);
  assert.match(top.stdout, /Exit codes/);
  const bad = await runCli(['run', '--frobnicate', RUNBOOK]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /frobnicate/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
  const unknown = await runCli(['restor']);
  assert.equal(unknown.code, 2);
});

test('a confirm gate with no terminal and no --yes refuses before any change', async (t) => {
  const { root, stateDir } = await makeTree(t);
  const before = await fingerprintTree(root);
  const runbook = join(root, '..', 'gate.yaml');
  await writeFile(
    runbook,
    `apiVersion: drbook/v1
kind: Runbook
metadata: { name: gate }
params: { root: { type: path, required: true } }
steps:
  - id: move
    name: Move
    uses: file.move
    with: { from: "{{ params.root }}/live/config.yaml", to: "{{ params.root }}/moved.yaml" }
  - id: sure
    name: Ask
    uses: confirm
    with: { message: Really? }
`,
  );
  const refused = await runCli(['run', runbook, '-p', `root=${root}`], { stateDir });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /--yes/);
  assert.deepEqual(await fingerprintTree(root), before);
  const yes = await runCli(['run', runbook, '-p', `root=${root}`, '--yes', '-o', 'plain'], { stateDir });
  assert.equal(yes.code, 0, yes.stdout + yes.stderr);
});
