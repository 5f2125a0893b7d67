// The state dir's run lock is per host, and a host is its address and port, not its
// name: two sandboxes whose hosts are both called node1 (as every sandbox's are, and
// as many real clusters' are) are two clusters. One operator, one state dir: a run
// holding cluster A's node1 does not refuse a plan or a run on cluster B's node1; a
// second run on cluster A is still refused (exit 2, README's exit codes), naming the
// host by its name and its address. Through the real CLI on two real SSH sandboxes.
//
// Loopback prefixes (others: grep "127.0." in test/): 127.0.230. cluster A, 127.0.231. cluster B.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../support/fixtures.js';
import { runCli, startCli, waitForOutput, type CliResult } from './support/cli.js';
import { tearDown, useSharedSandbox } from './support/sandbox.js';
import { holdRunbook } from './support/hold-runbook.js';

const PREFIX_A = '127.0.230.';
const PREFIX_B = '127.0.231.';

/** What this file reads of `sandbox up --json` (the sandbox's public output, not its internals). */
interface UpInfo {
  inventory: string;
  nodes: Array<{ name: string; ip: string; root: string; sshd?: { address: string; port: number } }>;
}

interface Cluster {
  base: string;
  info: UpInfo;
  work: string;
  runbook: string;
}

function useCluster(prefix: string, what: string): () => Cluster {
  return useSharedSandbox(async (onCleanup) => {
    const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-cluster-lock-'));
    const dir = join(base, 'sbx');
    onCleanup(() => tearDown(base, dir));
    const up = await runCli(['sandbox', 'up', '--dir', dir, '--nodes', '1', '--workers', '0', '--ssh', '--ip-prefix', prefix, '--json']);
    if (up.code !== 0) throw new Error(`drbook sandbox up --ssh --ip-prefix ${prefix} failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
    const work = join(base, 'work');
    await mkdir(work, { recursive: true });
    const runbook = join(base, 'hold.yaml');
    await writeFile(runbook, HOLD);
    return { base, info: JSON.parse(up.stdout) as UpInfo, work, runbook };
  }, what);
}

const clusterA = useCluster(PREFIX_A, 'cluster A');
const clusterB = useCluster(PREFIX_B, 'cluster B');

/** A state dir of this test, removed after it (the sandbox's own files go with the sandbox). */
async function tempStateDir(t: TestContext, label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `drbook-e2e-cluster-lock-${label}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const HOLD = holdRunbook({ name: 'cluster-lock-hold' });

const args = (c: Cluster, stateDir: string, command: 'run' | 'plan', extra: string[] = []) => [
  command,
  c.runbook,
  '-i',
  c.info.inventory,
  '-t',
  'masters',
  '--state-dir',
  stateDir,
  '-p',
  `dir=${c.work}`,
  '-o',
  'plain',
  ...extra,
];
const both = (r: CliResult) => r.stdout + r.stderr;
const runIdOf = (output: string) => {
  const id = /RUN \S+ — run (\S+) on /.exec(output)?.[1];
  assert.ok(id, `no run id in:\n${output}`);
  return id!;
};

test('one state dir, two clusters with a node1 each: a run holding A does not refuse a plan or a run on B; a second run on A is refused naming node1 and its address', async (t) => {
  const [a, b] = [clusterA(), clusterB()];
  const nodeA = a.info.nodes[0]!;
  const nodeB = b.info.nodes[0]!;
  assert.equal(nodeA.name, 'node1');
  assert.equal(nodeB.name, 'node1', 'both clusters call their master node1');
  const sshA = nodeA.sshd!;
  const stateDir = await mkdtemp(join(tmpdir(), 'drbook-e2e-cluster-lock-state-'));

  const holding = startCli(args(a, stateDir, 'run', ['-p', 'hold=true']));
  let idA: string | undefined;
  t.after(async () => {
    if (idA) await writeFile(join(a.work, `release-${idA}`), '');
    await holding.done;
    await rm(stateDir, { recursive: true, force: true }); // after the run that writes in it ended
  });
  await waitForOutput(holding.output, (o) => /\| slow-started/.test(o), 60_000);
  idA = runIdOf(holding.output());

  // The state dir's lock of A's node1 is named after its address and port, and says which name the run gave it.
  const lockName = `ssh-${sshA.address}-${sshA.port}.lock`;
  assert.deepEqual(await readdir(join(stateDir, 'locks')), [lockName]);
  const holder = JSON.parse(await readFile(join(stateDir, 'locks', lockName), 'utf8'));
  assert.equal(holder.runId, idA);
  assert.equal(holder.host, 'node1');
  assert.equal(holder.where, `${sshA.address}:${sshA.port}`);

  // Cluster B's node1 is another host: its plan sees nothing in the way, its run goes through.
  const plan = await runCli(args(b, stateDir, 'plan'));
  assert.equal(plan.code, 0, both(plan));
  assert.doesNotMatch(both(plan), /locked|refused/);
  const runB = await runCli(args(b, stateDir, 'run'));
  assert.equal(runB.code, 0, both(runB));
  const idB = runIdOf(runB.stdout + runB.stderr);
  assert.ok(existsSync(join(b.work, `made-${idB}`)), 'the run on B changed B');
  assert.equal(existsSync(join(a.work, `made-${idB}`)), false, 'and not A');

  // The same cluster again, from the same state dir: refused before any change, naming the host as the operator knows it.
  const second = await runCli(args(a, stateDir, 'run'));
  assert.equal(second.code, 2, both(second));
  const at = `${sshA.address}:${sshA.port}`.replace(/\./g, '\\.');
  assert.match(second.stderr, new RegExp(`host node1 \\(${at}\\) is locked by run ${idA} \\(pid ${holding.child.pid}, since [^)]*\\), which is still running`));
  const runs = (await readdir(join(stateDir, 'runs'))).sort();
  assert.deepEqual(runs, [idA, idB].sort(), 'the refused run journaled nothing');
  assert.deepEqual((await readdir(a.work)).sort(), [`made-${idA}`], 'and changed nothing on A');

  await writeFile(join(a.work, `release-${idA}`), '');
  const done = await holding.done;
  assert.equal(done.code, 0, both(done));
  assert.deepEqual(await readdir(join(stateDir, 'locks')), [], 'every state-dir lock released');
  const listed = await runCli(['runs', '--state-dir', stateDir]);
  assert.equal(listed.code, 0, both(listed));
  assert.match(listed.stdout, new RegExp(`${idA}\\s+done`));
  assert.match(listed.stdout, new RegExp(`${idB}\\s+done`));
});

// A run journaled by main a09df66 (before host keys) and killed mid-step: fixtures/journals/main-a09df66.
const OLD_RUN = '20261202T043254Z-bd15';

/** Lay the old run out as main left it: its journal and name-keyed lock in `stateDir`, its marker and its applied change on cluster A. */
async function layOutOldRun(c: Cluster, stateDir: string, deadPid: number): Promise<void> {
  const hostState = join(c.info.nodes[0]!.root, 'var/lib/drbook');
  const sha = async (file: string) =>
    createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  const values: Record<string, string> = {
    RUNBOOK: c.runbook,
    RUNBOOK_SHA: await sha(c.runbook),
    INVENTORY: c.info.inventory,
    INVENTORY_SHA: await sha(c.info.inventory),
    WORK: c.work,
    HOST_STATE: hostState,
    STATE_DIR: stateDir,
    MACHINE: hostname(),
    PID: String(deadPid),
  };
  const fill = async (name: string) => (await readFile(fixture('journals', 'main-a09df66', name), 'utf8')).replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? `{{${key}}}`);
  await mkdir(join(stateDir, 'runs', OLD_RUN), { recursive: true });
  await writeFile(join(stateDir, 'runs', OLD_RUN, 'journal.jsonl'), await fill('journal.jsonl'));
  await mkdir(join(stateDir, 'locks'), { recursive: true });
  await writeFile(join(stateDir, 'locks', 'node1.lock'), await fill('node1.lock'));
  await mkdir(join(hostState, 'runs'), { recursive: true });
  await writeFile(join(hostState, 'runs', `${OLD_RUN}.json`), await fill('marker.json'));
  await mkdir(join(c.work, `made-${OLD_RUN}`), { recursive: true });
  await writeFile(join(c.work, `release-${OLD_RUN}`), ''); // its slow command ends at once when run again
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

test('a run journaled before host keys (main a09df66) still lists, reports, resumes and rolls back; its name-keyed lock is taken over', async (t) => {
  const a = clusterA();
  const hostState = join(a.info.nodes[0]!.root, 'var/lib/drbook');
  const resumeState = await tempStateDir(t, 'old');
  await layOutOldRun(a, resumeState, await deadPid());

  const runs = await runCli(['runs', '--state-dir', resumeState]);
  assert.equal(runs.code, 0, both(runs));
  assert.match(runs.stdout, new RegExp(`${OLD_RUN}\\s+crashed`));
  const report = await runCli(['report', OLD_RUN, '--state-dir', resumeState]);
  assert.equal(report.code, 0, both(report));
  assert.match(report.stdout, /cluster-lock-hold/);
  assert.match(report.stdout, /cut off/);

  const resumed = await runCli(['resume', OLD_RUN, '--state-dir', resumeState, '-o', 'plain']);
  assert.equal(resumed.code, 0, both(resumed));
  assert.match(both(resumed), new RegExp(`the lock of node1 in the state dir was left by run ${OLD_RUN} \\(pid \\d+, no longer running\\): taken over`));
  assert.deepEqual(await readdir(join(resumeState, 'locks')), [], 'the name-keyed lock went, and the keyed one was released');
  assert.equal(existsSync(join(hostState, 'runs', `${OLD_RUN}.json`)), false, 'done: its marker went');
  const after = await runCli(['runs', '--state-dir', resumeState]);
  assert.match(after.stdout, new RegExp(`${OLD_RUN}\\s+done`));

  // The same old run once more, from another state dir: rolled back this time.
  const rollbackState = await tempStateDir(t, 'old');
  await layOutOldRun(a, rollbackState, await deadPid());
  const rolledBack = await runCli(['rollback', OLD_RUN, '--state-dir', rollbackState, '-o', 'plain']);
  assert.equal(rolledBack.code, 0, both(rolledBack));
  assert.equal(existsSync(join(a.work, `made-${OLD_RUN}`)), false, 'its change was undone');
  assert.equal(existsSync(join(hostState, 'runs', `${OLD_RUN}.json`)), false, 'its marker went');
  assert.deepEqual(await readdir(join(rollbackState, 'locks')), []);
  const listed = await runCli(['runs', '--state-dir', rollbackState]);
  assert.match(listed.stdout, new RegExp(`${OLD_RUN}\\s+rolled-back`));
});
