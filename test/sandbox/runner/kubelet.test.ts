import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { pathsOfNode } from '../../../src/sandbox/layout.js';
import { isProcessAlive } from '../../../src/system/process-alive.js';
import { StaticPodRunner } from '../../../src/sandbox/runner/kubelet.js';
import type { ContainerRecord } from '../../../src/sandbox/runner/state.js';

interface Harness {
  root: string;
  manifests: string;
  runner: StaticPodRunner;
  log: string[];
  state(): Promise<ContainerRecord[]>;
  write(name: string, command: string[]): Promise<void>;
}

async function startHarness(t: { after(fn: () => Promise<void>): void }, options: { graceMs?: number } = {}): Promise<Harness> {
  const root = join(await mkdtemp(join(tmpdir(), 'drbook-runner-')), 'node1');
  const paths = pathsOfNode(root);
  await mkdir(paths.manifestsDir, { recursive: true });
  const log: string[] = [];
  const seen = new Set<number>();
  const runner = new StaticPodRunner({
    nodeDir: root, pollMs: 50, graceMs: options.graceMs ?? 1000, backoffInitialMs: 150, backoffMaxMs: 600,
    mapCommand: (argv) => argv, log: (line) => log.push(`${Date.now()} ${line}`),
  });
  t.after(async () => {
    await runner.stop();
    // Belt and braces: whatever the runner ever started must be gone, test failed or not.
    for (const record of runner.records()) seen.add(record.pid);
    for (const pid of seen) if (pid > 0 && isProcessAlive(pid)) process.kill(-pid, 'SIGKILL');
    await rm(join(root, '..'), { recursive: true, force: true });
  });
  await runner.start();
  return {
    root, manifests: paths.manifestsDir, runner, log,
    async state() {
      const records = JSON.parse(await readFile(paths.containersFile, 'utf8')) as ContainerRecord[];
      for (const r of records) seen.add(r.pid);
      return records;
    },
    async write(name, command) {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'kube-system' }, spec: { containers: [{ name, image: `img/${name}:1`, command }] } };
      await writeFile(join(paths.manifestsDir, `${name}.yaml.tmp`), stringify(pod));
      await rename(join(paths.manifestsDir, `${name}.yaml.tmp`), join(paths.manifestsDir, `${name}.yaml`));
    },
  };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(40);
  }
}

const running = (records: ContainerRecord[], name: string) => records.find((r) => r.name === name && r.state === 'running');

test('a manifest starts its container; moving it out stops it; moving it back starts a new one', async (t) => {
  const h = await startHarness(t);
  await h.write('sleeper', ['sleep', '1000']);
  const first = await waitFor('sleeper running', async () => running(await h.state(), 'sleeper'));
  assert.ok(isProcessAlive(first.pid));
  assert.equal(first.podName, 'sleeper-node1');
  assert.equal(first.attempt, 0);
  assert.equal(first.image, 'img/sleeper:1');
  assert.match(first.id, /^[0-9a-f]{64}$/);
  assert.match(await readFile(first.logPath, 'utf8'), /starting sleeper \(attempt 0\): sleep 1000/);

  const stash = join(h.root, 'stash.yaml');
  await rename(join(h.manifests, 'sleeper.yaml'), stash);
  await waitFor('sleeper gone from the state', async () => !(await h.state()).some((r) => r.name === 'sleeper'));
  assert.equal(isProcessAlive(first.pid), false, 'the process must be stopped, not only forgotten');

  await rename(stash, join(h.manifests, 'sleeper.yaml'));
  const second = await waitFor('sleeper running again', async () => running(await h.state(), 'sleeper'));
  assert.notEqual(second.pid, first.pid);
  assert.notEqual(second.podId, first.podId, 'a re-created static pod is a new pod');
  assert.ok(isProcessAlive(second.pid));
});

test('a container that exits is restarted with a growing back-off and a restart count', async (t) => {
  const h = await startHarness(t);
  await h.write('crasher', ['sh', '-c', 'exit 3']);
  const third = await waitFor('third attempt', async () => (await h.state()).find((r) => r.name === 'crasher' && r.attempt >= 2));
  const records = await h.state();
  const previous = records.find((r) => r.name === 'crasher' && r.attempt === third.attempt - 1);
  assert.equal(previous?.state, 'exited');
  assert.equal(previous?.exitCode, 3);
  const starts = h.log.filter((l) => / started crasher /.test(l)).map((l) => Number(l.split(' ')[0]));
  assert.ok(starts.length >= 3);
  // Back-off 150 ms, then 300 ms: a restart can never come sooner.
  assert.ok(starts[1]! - starts[0]! >= 140, `first restart after ${starts[1]! - starts[0]!} ms`);
  assert.ok(starts[2]! - starts[1]! >= 290, `second restart after ${starts[2]! - starts[1]!} ms`);
});

test('a container that ignores SIGTERM is killed after the grace period, with its whole group', async (t) => {
  const h = await startHarness(t, { graceMs: 700 });
  await h.write('stubborn', ['sh', '-c', "trap '' TERM; sleep 1000 & wait"]);
  const c = await waitFor('stubborn running', async () => running(await h.state(), 'stubborn'));
  await sleep(200); // let the shell set its trap and start its child
  const began = Date.now();
  await rm(join(h.manifests, 'stubborn.yaml'));
  await waitFor('stubborn stopped', async () => !(await h.state()).some((r) => r.name === 'stubborn'));
  assert.ok(Date.now() - began >= 650, 'SIGKILL must wait for the grace period');
  assert.equal(isProcessAlive(c.pid), false);
  assert.ok(h.log.some((l) => /ignored SIGTERM/.test(l)));
  // The background sleep was in the container's group: nothing of it may remain.
  await assert.rejects(readFile(`/proc/${c.pid}/stat`));
});

test('a changed manifest replaces the container; a broken or hidden file starts nothing', async (t) => {
  const h = await startHarness(t);
  await h.write('app', ['sleep', '1000']);
  const before = await waitFor('app running', async () => running(await h.state(), 'app'));
  await h.write('app', ['sleep', '999']);
  const after = await waitFor('app replaced', async () => {
    const r = running(await h.state(), 'app');
    return r && r.id !== before.id ? r : undefined;
  });
  assert.deepEqual(after.argv, ['sleep', '999']);
  assert.equal(isProcessAlive(before.pid), false);

  await writeFile(join(h.manifests, 'broken.yaml'), 'kind: Pod\nspec: [');
  await writeFile(join(h.manifests, '.hidden.yaml'), stringify({ kind: 'Pod', metadata: { name: 'hidden' }, spec: { containers: [{ name: 'hidden', command: ['sleep', '1000'] }] } }));
  await sleep(300);
  const names = (await h.state()).map((r) => r.name);
  assert.deepEqual(names, ['app']);
  assert.ok(h.log.some((l) => /ignoring manifest: .*broken\.yaml/.test(l)));
});

test('restartKubelet restarts every container but etcd; stop ends them all', async (t) => {
  const h = await startHarness(t);
  await h.write('etcd', ['sleep', '1000']);
  await h.write('kube-scheduler', ['sleep', '1001']);
  const etcd = await waitFor('etcd running', async () => running(await h.state(), 'etcd'));
  const scheduler = await waitFor('scheduler running', async () => running(await h.state(), 'kube-scheduler'));
  await h.runner.restartKubelet();
  const records = await h.state();
  assert.equal(running(records, 'etcd')?.pid, etcd.pid);
  const restarted = running(records, 'kube-scheduler');
  assert.ok(restarted && restarted.pid !== scheduler.pid);
  assert.equal(restarted.attempt, 1);
  assert.equal(isProcessAlive(scheduler.pid), false);

  await h.runner.stop();
  const final = await h.state();
  assert.ok(final.every((r) => r.state === 'exited'));
  assert.equal(isProcessAlive(etcd.pid), false);
  assert.equal(isProcessAlive(restarted.pid), false);
});

test('a command that cannot be started is an exited container, retried with back-off, and the runner goes on', async (t) => {
  const h = await startHarness(t);
  await h.write('ghost', ['/nonexistent/bin/ghost', '--flag']);
  await h.write('sleeper', ['sleep', '1000']);
  const retried = await waitFor('ghost retried', async () => (await h.state()).find((r) => r.name === 'ghost' && r.attempt >= 1));
  assert.equal(retried.pid, 0);
  assert.ok(running(await h.state(), 'sleeper'));
  assert.match(await readFile(retried.logPath, 'utf8'), /starting ghost \(attempt 0\): \/nonexistent\/bin\/ghost --flag/);
});
