// `drbook rehearse` and `drbook demo` end to end: each builds its own sandbox, restores
// for real, and must leave nothing running behind it. The tests run one after the other
// (node:test runs a file's tests in sequence), so the demo can reuse the loopback
// prefix of the rehearsal's source sandbox, which is down by then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '@drbook/system';
import { runCli } from './support/cli.js';
import { PREFIX_REHEARSAL, PREFIX_SOURCE_AND_DEMO, RESTORE_RUNBOOK, processesUnder, readKeyspace, saveSnapshot, startSandbox, watchRecordedPids } from './support/sandbox.js';

/** The runner PIDs a sandbox's `up` reported in its progress lines. */
function runnerPids(output: string): number[] {
  return [...output.matchAll(/static-pod runner pid (\d+)/g)].map((m) => Number(m[1]));
}

/**
 * Nothing of a torn-down sandbox survives: none of the PIDs it recorded while it ran
 * (runner and containers) is alive, no process mentions its folder, its ports are free.
 */
async function assertNothingLeft(dir: string, output: string, ip: string, watch: ReturnType<typeof watchRecordedPids>): Promise<void> {
  const { seen, alive } = await watch.stop();
  const runners = runnerPids(output);
  assert.ok(runners.length > 0, `the sandbox's runner PID is reported:\n${output}`);
  for (const pid of runners) assert.ok(seen.includes(pid), `runner ${pid} was recorded in sandbox.json`);
  assert.ok(seen.length >= 1 + 4, `the runner and the four control-plane containers were recorded (saw ${seen.join(', ')})`);
  assert.deepEqual(alive, [], 'a recorded PID of the sandbox is still alive');
  for (const pid of runners) assert.equal(isProcessAlive(pid), false, `runner ${pid} is still alive`);
  assert.deepEqual(processesUnder(dir), [], `processes of ${dir} still run`);
  assert.equal(existsSync(dir), false, `${dir} is removed`);
  for (const port of [2379, 2380, 6443]) await assertPortFree(ip, port);
}

function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error) => reject(new Error(`${host}:${port} is still in use: ${error.message}`)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

test("rehearse on a sandbox snapshot passes, serves the snapshot's state, reports timings, and tears its sandbox down", async (t) => {
  // The snapshot: from a sandbox of its own, with a key the rehearsal sandbox's own
  // seeding does not have, so the rehearsal's verification can only pass on restored data.
  const source = await startSandbox(PREFIX_SOURCE_AND_DEMO, (fn) => t.after(fn));
  const marker = await source.etcdctl(['put', '/registry/configmaps/default/rehearsal-marker', '{"kind":"ConfigMap","metadata":{"name":"rehearsal-marker"}}']);
  assert.equal(marker.exitCode, 0, marker.stderr);
  const snapshot = await saveSnapshot(source, join(source.base, 'backup', 'etcd.db'));
  const registryKeys = Object.keys((await readKeyspace(source)).kvs).filter((key) => key.startsWith('/registry/')).length;
  assert.equal(registryKeys, source.info.seeded!.totalKeys + 1);
  const down = await runCli(['sandbox', 'down', '--dir', source.dir]);
  assert.equal(down.code, 0, down.stderr);

  // Its own temp folder, cleaned up on its own: whatever the order of the t.after hooks,
  // a rehearsal sandbox left running is stopped before its folder goes.
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-rehearsal-'));
  const dir = join(base, 'sandbox');
  const stateDir = join(base, 'state');
  const watch = watchRecordedPids(dir);
  t.after(async () => {
    await watch.stop(); // a failed assertion must not leave the watcher polling
    await runCli(['sandbox', 'down', '--dir', dir]); // only if the rehearsal could not
    await rm(base, { recursive: true, force: true });
  });
  const result = await runCli(['rehearse', RESTORE_RUNBOOK, '--snapshot', snapshot.file, '--ip-prefix', PREFIX_REHEARSAL, '--dir', dir, '--state-dir', stateDir, '-o', 'plain'], {
    env: { KUBECACHEDIR: join(base, 'kube-cache') },
  });
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 0, out);
  assert.match(out, /rehearsal PASSED/);
  // The rehearsal's own verification saw the snapshot's keys, not the fresh sandbox's seed.
  assert.match(out, new RegExp(`${registryKeys} keys under /registry: .*key counts match the snapshot`, 's'));

  // Per-step timings and the measured restore time and downtime.
  for (const step of ['verify-snapshot', 'stop-control-plane', 'restore', 'swap-data-dir', 'start-control-plane', 'verify-etcd', 'verify-nodes', 'restart-kubelet']) {
    assert.match(out, new RegExp(`^  ${step}\\s+done\\s+\\d+\\.\\d\\ds  `, 'm'), `timing of ${step}`);
  }
  assert.match(out, /total run time: +\d+\.\d\ds/);
  assert.match(out, /control plane down for: \d+\.\d\ds/);
  assert.match(out, /measured restore time: +\d+\.\d\ds/);

  await assertNothingLeft(dir, out, `${PREFIX_REHEARSAL}11`, watch);
  const runs = await readdir(join(stateDir, 'runs'));
  assert.equal(runs.length, 1, 'the rehearsal run has a journal');
  assert.match(await readFile(join(stateDir, 'runs', runs[0]!, 'journal.jsonl'), 'utf8'), /"t":"end".*"state":"done"/);
});

/** The NAME column (and NAMESPACE, for -A) of the first `$ kubectl get ARGS` table after `from`. */
function kubectlTable(output: string, command: string, from: number): string[] {
  const start = output.indexOf(`$ kubectl ${command}\n`, from);
  assert.ok(start >= 0, `"kubectl ${command}" is shown after offset ${from}`);
  const lines = output.slice(start).split('\n').slice(1);
  const rows: string[] = [];
  for (const line of lines) {
    if (!line.trim()) break;
    rows.push(line.trim());
  }
  return rows;
}

const names = (rows: string[], columns: number) => rows.slice(1).map((row) => row.split(/\s+/).slice(0, columns).join(' '));

test("demo: the README's one command shows the cluster, the disaster and the same cluster back, and leaves nothing behind", async (t) => {
  // A home of its own: the demo must touch nothing outside its state dir (README), so
  // the default paths are used (no --dir, no --state-dir) and the home is checked after.
  const home = await mkdtemp(join(tmpdir(), 'drbook-e2e-home-'));
  const stateDir = join(home, '.local', 'state', 'drbook');
  const dir = join(stateDir, 'demo');
  const watch = watchRecordedPids(dir);
  t.after(async () => {
    await watch.stop(); // a failed assertion must not leave the watcher polling
    await runCli(['sandbox', 'down', '--dir', dir]); // only if the demo could not
    await rm(home, { recursive: true, force: true });
  });
  const result = await runCli(['demo', '--ip-prefix', PREFIX_SOURCE_AND_DEMO, '-o', 'plain'], {
    env: { HOME: home, DRBOOK_STATE_DIR: '', XDG_STATE_HOME: '', KUBECACHEDIR: '' },
  });
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 0, out);

  const disaster = out.indexOf('3. Disaster');
  const restore = out.indexOf('4. Restore');
  const afterRestore = out.indexOf('5. After the restore (done)');
  assert.ok(disaster > 0 && restore > disaster && afterRestore > restore, `the demo's chapters in order:\n${out}`);

  const nodesBefore = kubectlTable(out, 'get nodes', 0);
  const nodesAfterDisaster = kubectlTable(out, 'get nodes', disaster);
  const nodesAfter = kubectlTable(out, 'get nodes', afterRestore);
  assert.match(nodesBefore[0]!, /^NAME\s+STATUS/);
  assert.ok(nodesBefore.length >= 3, `several nodes before:\n${nodesBefore.join('\n')}`);
  assert.ok(
    nodesBefore.slice(1).every((row) => /^\S+\s+Ready\s/.test(row)),
    nodesBefore.join('\n'),
  );
  assert.deepEqual(nodesAfterDisaster, ['No resources found'], 'the disaster left an empty cluster');
  assert.deepEqual(names(nodesAfter, 2), names(nodesBefore, 2), 'the same nodes, Ready, after the restore');
  assert.deepEqual(names(kubectlTable(out, 'get pods -A', afterRestore), 2), names(kubectlTable(out, 'get pods -A', 0), 2), 'the same pods after the restore');
  assert.match(out, /control plane down for: \d+\.\d\ds/);

  await assertNothingLeft(dir, out, `${PREFIX_SOURCE_AND_DEMO}11`, watch);
  // Only drbook's state dir in the home: the run's journal, and no sandbox, cache or kubeconfig elsewhere.
  assert.deepEqual(await readdir(home), ['.local']);
  assert.deepEqual((await readdir(stateDir)).sort(), ['locks', 'runs']);
  const runs = await readdir(join(stateDir, 'runs'));
  assert.equal(runs.length, 1);
  assert.match(await readFile(join(stateDir, 'runs', runs[0]!, 'journal.jsonl'), 'utf8'), /"t":"end".*"state":"done"/);
});
