// The host lock end to end, through the real CLI on real sandboxes: a local one (the
// restore runbook, and a small runbook of shell steps) and one reached over a real
// OpenSSH server. A second --state-dir stands in for a second operator's machine: the
// only thing the two drbooks share is the host, as on a real outage.
//
// Loopback prefixes (others: grep "127.0." in test/): 127.0.150. the local sandbox,
// 127.0.151. the SSH sandbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { SandboxInfo } from '@drbook/sandbox';
import { parseEvents, runCli, startCli, waitForOutput, type CliResult } from './support/cli.js';
import { RESTORE_RUNBOOK, fingerprintNode, runningContainers, saveSnapshot, tearDown, useFileSandbox, useSharedSandbox, waitForApiServer, type E2eSandbox } from './support/sandbox.js';
import { holdRunbook } from './support/hold-runbook.js';

const PREFIX_LOCAL = '127.0.150.';
const PREFIX_SSH = '127.0.151.';
const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

const local = useFileSandbox(PREFIX_LOCAL);
const overSsh = useSharedSandbox(async (onCleanup) => {
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-lock-ssh-'));
  const dir = join(base, 'sbx');
  onCleanup(() => tearDown(base, dir));
  const up = await runCli(['sandbox', 'up', '--dir', dir, '--nodes', '1', '--ssh', '--ip-prefix', PREFIX_SSH, '--json']);
  if (up.code !== 0) throw new Error(`drbook sandbox up --ssh failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
  return { base, dir, info: JSON.parse(up.stdout) as SandboxInfo };
}, 'the SSH sandbox of this file');

const EXERCISE = holdRunbook({ name: 'lock-exercise', look: true, sayWhenDone: true });

interface Place {
  base: string;
  inventory: string;
  /** The node's host state folder (its /var/lib/drbook). */
  hostState: string;
  runbook: string;
  work: string;
  env?: Record<string, string>;
}

async function placeOf(base: string, info: SandboxInfo, env?: Record<string, string>): Promise<Place> {
  const runbook = join(base, 'lock-exercise.yaml');
  const work = join(base, 'work');
  await mkdir(work, { recursive: true });
  await writeFile(runbook, EXERCISE);
  return { base, inventory: info.inventory, hostState: join(info.nodes[0]!.root, 'var/lib/drbook'), runbook, work, env };
}

const exercise = (p: Place, stateDir: string, extra: string[], command = 'run') => [command, p.runbook, '-i', p.inventory, '-t', 'masters', '--state-dir', stateDir, '-p', `dir=${p.work}`, ...extra];
const restoreArgs = (sbx: E2eSandbox, stateDir: string, snapshot: string, command = 'run') => [
  command,
  RESTORE_RUNBOOK,
  '-i',
  sbx.info.inventory,
  '-t',
  'masters',
  '--state-dir',
  stateDir,
  '-p',
  `snapshot=${snapshot}`,
  '--yes',
  '-o',
  'plain',
];
const runIdOf = (output: string) => {
  const id = /(?:RUN|RESUME) \S+ — run (\S+) on /.exec(output)?.[1];
  assert.ok(id, `no run id in:\n${output}`);
  return id!;
};
const both = (r: CliResult) => r.stdout + r.stderr;
/** Lets the held command of run `id` end (its orphan, once drbook was killed). */
const release = (p: Place, id: string) => writeFile(join(p.work, `release-${id}`), '');
const lockIsFree = async (hostState: string) => !existsSync(join(hostState, 'lock')) || (await execa('flock', ['-n', join(hostState, 'lock'), 'true'], { reject: false })).exitCode === 0;

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('two operators, two state dirs, one master: the second run is refused before any change, naming the first; so is its plan', async () => {
  const sbx = local();
  const snapshot = (await saveSnapshot(sbx, join(sbx.base, 'two-operators.db'))).file;
  const [stateA, stateB] = [join(sbx.base, 'two-a'), join(sbx.base, 'two-b')];
  const first = startCli(restoreArgs(sbx, stateA, snapshot), { env: sbx.env });
  await waitForOutput(first.output, (o) => /▶ step \d+ stop-control-plane/.test(o), 60_000);
  const idA = runIdOf(first.output());

  const second = await runCli(restoreArgs(sbx, stateB, snapshot), { env: sbx.env });
  assert.equal(second.code, 2, both(second));
  assert.match(second.stderr, new RegExp(`host node1 is locked by run ${idA} \\(run of runbook etcd-restore, pid ${first.child.pid} on this machine, state dir ${stateA}, since `));
  assert.equal(existsSync(join(stateB, 'runs')), false, 'the refused run journaled nothing: it changed nothing');
  const plan = await runCli(
    restoreArgs(sbx, join(sbx.base, 'two-c'), snapshot, 'plan').filter((a) => a !== '--yes'),
    { env: sbx.env },
  );
  assert.equal(plan.code, 1, both(plan));
  assert.match(plan.stdout, new RegExp(`locked by run ${idA} .*the run would be refused now`));

  const done = await first.done;
  assert.equal(done.code, 0, both(done));
  assert.equal(existsSync(join(sbx.node.root, 'var/lib/drbook')), false, 'the finished run left nothing on the host');
  await waitForApiServer(sbx);
});

test("kill -9 inside static-pods.stop's wait: the host lock is free at once, a new run refuses naming the crashed run and how to finish it; after the rollback it runs", async () => {
  const sbx = local();
  const snapshot = (await saveSnapshot(sbx, join(sbx.base, 'killed.db'))).file;
  const [stateA, stateB] = [join(sbx.base, 'kill-a'), join(sbx.base, 'kill-b')];
  const hostState = join(sbx.node.root, 'var/lib/drbook');
  const victim = startCli(restoreArgs(sbx, stateA, snapshot), { env: sbx.env });
  await waitForOutput(victim.output, (o) => /→ wait until crictl shows no container/.test(o), 60_000);
  victim.child.kill('SIGKILL');
  await victim.done;
  const idA = runIdOf(victim.output());
  await until(() => lockIsFree(hostState), 'the kernel released the lock of the killed run', 5000);
  assert.ok(existsSync(join(hostState, 'runs', `${idA}.json`)), 'its marker says it changed the host');

  // The kubelet goes on stopping the pods whose manifests the killed run moved (etcd
  // writes its files as it stops): the node is compared once that has settled.
  await until(async () => (await runningContainers(sbx)).length === 0, 'the kubelet stopped the pods the killed run had moved out', 30_000);
  // The node's files but drbook's own host folder (a refused run takes and lets go of the lock there).
  const cluster = async () => Object.fromEntries(Object.entries(await fingerprintNode(sbx)).filter(([path]) => !path.startsWith('var/lib/drbook')));
  const before = await cluster();
  const refused = await runCli(restoreArgs(sbx, stateB, snapshot), { env: sbx.env });
  assert.equal(refused.code, 2, both(refused));
  assert.match(refused.stderr, new RegExp(`host node1: run ${idA} changed it and did not finish \\(runbook etcd-restore, started .* state dir ${stateA}\\)`));
  assert.match(refused.stderr, /its journal here says: crashed/);
  assert.match(refused.stderr, new RegExp(`drbook resume ${idA} --state-dir ${stateA}\` to continue it, or \`drbook rollback ${idA} --state-dir ${stateA}\` to undo it`));
  assert.match(refused.stderr, new RegExp(`--ignore-run ${idA}`));
  assert.deepEqual(await cluster(), before, 'refused before any change');
  const plan = await runCli(
    restoreArgs(sbx, stateB, snapshot, 'plan').filter((a) => a !== '--yes'),
    { env: sbx.env },
  );
  assert.equal(plan.code, 1, both(plan));
  assert.match(plan.stdout, new RegExp(`the run would be refused: host node1: run ${idA} changed it and did not finish`));

  const rollback = await runCli(['rollback', idA, '--state-dir', stateA, '-o', 'plain'], { env: sbx.env });
  assert.equal(rollback.code, 0, both(rollback));
  assert.deepEqual(await runningContainers(sbx), CONTROL_PLANE);
  assert.equal(existsSync(hostState), false, 'its marker went with the rollback');
  await waitForApiServer(sbx);
  const after = await runCli(restoreArgs(sbx, stateB, snapshot), { env: sbx.env });
  assert.equal(after.code, 0, both(after));
  await waitForApiServer(sbx);
});

test('killed before its first change: `drbook runs` says nothing was applied, and the next run goes ahead, taking over its state-dir lock with a word', async () => {
  const p = await placeOf(local().base, local().info, local().env);
  const state = join(p.base, 'early');
  const victim = startCli(exercise(p, state, ['-p', 'look=true', '-o', 'plain']), { env: p.env });
  await waitForOutput(victim.output, (o) => /→ wait until/.test(o));
  victim.child.kill('SIGKILL');
  await victim.done;
  const id = runIdOf(victim.output());
  const runs = await runCli(['runs', '--state-dir', state]);
  assert.match(runs.stdout, new RegExp(`${id}\\s+crashed .*nothing was applied \\(it stopped before its first change\\)`));
  assert.ok(!existsSync(join(p.hostState, 'runs', `${id}.json`)), 'no marker: it changed nothing');
  const next = await runCli(exercise(p, state, ['-o', 'plain']), { env: p.env });
  assert.equal(next.code, 0, both(next));
  assert.match(next.stdout, new RegExp(`the lock of node1 in the state dir was left by run ${id} \\(pid ${victim.child.pid}, no longer running\\): taken over`));
  assert.equal(existsSync(p.hostState), false);
});

test("--ignore-run goes ahead over a crashed run's leftovers (journaled, after its orphaned command ended); that run's resume must then name it, its rollback can", async (t) => {
  const p = await placeOf(join(local().base, 'override'), local().info, local().env);
  const [stateA, stateB] = [join(p.base, 'ov-a'), join(p.base, 'ov-b')];
  const victim = startCli(exercise(p, stateA, ['-p', 'hold=true', '-o', 'plain']), { env: p.env });
  await waitForOutput(victim.output, (o) => /\| slow-started/.test(o));
  victim.child.kill('SIGKILL');
  await victim.done;
  const idX = runIdOf(victim.output());
  t.after(() => release(p, idX));

  const refused = await runCli(exercise(p, stateB, ['-o', 'plain']), { env: p.env });
  assert.equal(refused.code, 2, both(refused));
  assert.match(refused.stderr, new RegExp(`run ${idX} changed it and did not finish`));
  assert.match(refused.stderr, /a command of that run is still running on node1/);
  const going = startCli(exercise(p, stateB, ['--ignore-run', idX, '-o', 'plain']), { env: p.env });
  await waitForOutput(going.output, (o) => o.includes(`waiting for a command of run ${idX} still running on node1`));
  await new Promise((r) => setTimeout(r, 500));
  assert.doesNotMatch(going.output(), /▶ step/, 'nothing starts while the orphan runs');
  await release(p, idX);
  const forced = await going.done;
  assert.equal(forced.code, 0, both(forced));
  const idY = runIdOf(forced.stdout);
  assert.ok(existsSync(join(p.work, `slow-done-${idX}`)), 'the orphan finished before the run went on');
  const journal = await readFile(join(stateB, 'runs', idY, 'journal.jsonl'), 'utf8');
  assert.match(journal, new RegExp(`"t":"hosts-locked".*"overridden":\\[\\{"host":"node1","runId":"${idX}"\\}\\]`));
  const tombstone = JSON.parse(await readFile(join(p.hostState, 'runs', `${idX}.json`), 'utf8'));
  assert.equal(tombstone.overriddenBy.runId, idY);

  const resume = await runCli(['resume', idX, '--state-dir', stateA, '-o', 'plain'], { env: p.env });
  assert.equal(resume.code, 2, both(resume));
  assert.match(resume.stderr, new RegExp(`run ${idY} \\(\\S+\\) went ahead over this run's leftovers .*--ignore-run ${idY}`, 's'));
  const rollback = await runCli(['rollback', idX, '--state-dir', stateA, '--ignore-run', idY, '-o', 'plain'], { env: p.env });
  assert.equal(rollback.code, 0, both(rollback));
  assert.equal(existsSync(join(p.work, `made-${idX}`)), false, 'undone');
  assert.equal(existsSync(p.hostState), false, 'nothing left on the host');
});

test('over SSH: a second run is refused naming the first; kill -9 frees the lock (its SSH session ends); the rollback waits for the command the killed run left running', async (t) => {
  const { base, info } = overSsh();
  const p = await placeOf(base, info);
  const [stateA, stateB] = [join(base, 'ssh-a'), join(base, 'ssh-b')];
  const victim = startCli(exercise(p, stateA, ['-p', 'hold=true', '-o', 'plain']));
  await waitForOutput(victim.output, (o) => /\| slow-started/.test(o));
  const idX = runIdOf(victim.output());
  t.after(() => release(p, idX));
  const busy = await runCli(exercise(p, stateB, ['-o', 'plain']));
  assert.equal(busy.code, 2, both(busy));
  assert.match(busy.stderr, new RegExp(`host node1 is locked by run ${idX} \\(run of runbook lock-exercise`));

  victim.child.kill('SIGKILL');
  await victim.done;
  await until(() => lockIsFree(p.hostState), "sshd ended the killed run's session and with it the lock", 10_000);
  const refused = await runCli(exercise(p, stateB, ['-o', 'plain']));
  assert.equal(refused.code, 2, both(refused));
  assert.match(refused.stderr, new RegExp(`run ${idX} changed it and did not finish`));
  assert.equal(existsSync(join(p.work, `slow-done-${idX}`)), false, 'the orphaned remote command is still running');

  const rolling = startCli(['rollback', idX, '--state-dir', stateA, '-o', 'json']);
  await waitForOutput(rolling.output, (o) => o.includes(`waiting for a command of run ${idX} still running on node1`));
  await new Promise((r) => setTimeout(r, 500));
  assert.doesNotMatch(rolling.output(), /undo\.started/, 'no undo while the orphan runs');
  await release(p, idX);
  const rollback = await rolling.done;
  assert.equal(rollback.code, 0, both(rollback));
  const events = parseEvents(rollback.stdout);
  const orphanEnded = Number(await readFile(join(p.work, `slow-done-${idX}`), 'utf8')) * 1000;
  const firstUndo = Date.parse(events.find((e) => e.type === 'undo.started')!.at);
  assert.ok(orphanEnded <= firstUndo, `the orphan ended (${orphanEnded}) before the first undo began (${firstUndo})`);
  assert.equal(existsSync(join(p.work, `made-${idX}`)), false, 'undone');
  assert.equal(existsSync(p.hostState), false, 'nothing left on the host');
  assert.deepEqual(await readdir(join(stateB)).catch(() => []), ['locks'], 'the refused runs journaled nothing');
});
