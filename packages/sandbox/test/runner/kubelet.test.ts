import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { pathsOfNode } from '../../src/layout.js';
import { isProcessAlive } from '@drbook/system';
import { StaticPodRunner } from '../../src/runner/kubelet.js';
import type { ContainerRecord } from '../../src/runner/state.js';

interface Harness {
  root: string;
  manifests: string;
  runner: StaticPodRunner;
  log: string[];
  state(): Promise<ContainerRecord[]>;
  write(name: string, command: string[]): Promise<void>;
}

async function startHarness(t: { after(fn: () => Promise<void>): void }, options: { graceMs?: number; backoffInitialMs?: number; backoffMaxMs?: number } = {}): Promise<Harness> {
  const root = join(await mkdtemp(join(tmpdir(), 'drbook-runner-')), 'node1');
  const paths = pathsOfNode(root);
  await mkdir(paths.manifestsDir, { recursive: true });
  const log: string[] = [];
  const seen = new Set<number>();
  const runner = new StaticPodRunner({
    nodeDir: root,
    pollMs: 50,
    graceMs: options.graceMs ?? 1000,
    backoffInitialMs: options.backoffInitialMs ?? 150,
    backoffMaxMs: options.backoffMaxMs ?? 600,
    mapCommand: (argv) => argv,
    log: (line) => log.push(`${Date.now()} ${line}`),
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
    root,
    manifests: paths.manifestsDir,
    runner,
    log,
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

test('a kubelet restart leaves every static pod running, is counted in run/kubelet.json and forgets crash back-offs; stop ends them all', async (t) => {
  const h = await startHarness(t);
  const statePath = pathsOfNode(h.root).kubeletStateFile;
  const first = JSON.parse(await readFile(statePath, 'utf8'));
  assert.equal(first.restarts, 0);
  assert.equal(first.pid, process.pid);
  await h.write('etcd', ['sleep', '1000']);
  await h.write('kube-scheduler', ['sleep', '1001']);
  const etcd = await waitFor('etcd running', async () => running(await h.state(), 'etcd'));
  const scheduler = await waitFor('scheduler running', async () => running(await h.state(), 'kube-scheduler'));

  const state = await h.runner.restartKubelet();
  assert.equal(state.restarts, 1);
  const recorded = JSON.parse(await readFile(statePath, 'utf8'));
  assert.equal(recorded.restarts, 1);
  assert.ok(Date.parse(recorded.lastRestartAt) >= Date.parse(first.startedAt));
  await sleep(300); // a few syncs: nothing may be restarted behind our back
  const records = await h.state();
  assert.equal(running(records, 'etcd')?.pid, etcd.pid);
  assert.equal(running(records, 'kube-scheduler')?.pid, scheduler.pid);
  assert.equal(running(records, 'kube-scheduler')?.attempt, 0, 'the restart count of the pod stays');
  assert.ok(isProcessAlive(etcd.pid) && isProcessAlive(scheduler.pid));

  await h.runner.restartKubelet();
  assert.equal(JSON.parse(await readFile(statePath, 'utf8')).restarts, 2);

  await h.runner.stop();
  const final = await h.state();
  assert.ok(final.every((r) => r.state === 'exited'));
  assert.equal(isProcessAlive(etcd.pid), false);
  assert.equal(isProcessAlive(scheduler.pid), false);
});

test('after a kubelet restart a crash-looping container is started again at once, not after its back-off', async (t) => {
  const h = await startHarness(t, { backoffInitialMs: 2000, backoffMaxMs: 4000 });
  await h.write('crasher', ['sh', '-c', 'exit 3']);
  const exited = await waitFor('first exit', async () => (await h.state()).find((r) => r.name === 'crasher' && r.state === 'exited'));
  assert.equal(exited.attempt, 0);
  const restartedAt = Date.now();
  await h.runner.restartKubelet();
  await waitFor('second attempt', async () => (await h.state()).some((r) => r.name === 'crasher' && r.attempt === 1), 1500);
  assert.ok(Date.now() - restartedAt < 1500, 'not after the 2 s back-off');
});

test('before a container starts, its DirectoryOrCreate and FileOrCreate hostPath volumes are created when missing', async (t) => {
  const h = await startHarness(t);
  const dir = join(h.root, 'var', 'lib', 'made-by-kubelet');
  const file = join(h.root, 'etc', 'made-by-kubelet.conf');
  const existing = join(h.root, 'etc', 'kept.conf');
  await mkdir(join(h.root, 'etc'), { recursive: true });
  await writeFile(existing, 'keep me');
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'vols', namespace: 'kube-system' },
    spec: {
      containers: [{ name: 'vols', image: 'img/vols:1', command: ['sleep', '1000'] }],
      volumes: [
        { name: 'd', hostPath: { path: dir, type: 'DirectoryOrCreate' } },
        { name: 'f', hostPath: { path: file, type: 'FileOrCreate' } },
        { name: 'k', hostPath: { path: existing, type: 'FileOrCreate' } },
        { name: 'n', hostPath: { path: join(h.root, 'never'), type: 'Directory' } },
      ],
    },
  };
  await writeFile(join(h.manifests, 'vols.yaml'), stringify(pod));
  await waitFor('vols running', async () => running(await h.state(), 'vols'));
  assert.equal((await stat(dir)).isDirectory(), true);
  assert.equal((await stat(dir)).mode & 0o777, 0o755);
  assert.equal((await stat(file)).isFile(), true);
  assert.equal((await stat(file)).size, 0);
  assert.equal(await readFile(existing, 'utf8'), 'keep me');
  await assert.rejects(stat(join(h.root, 'never')), 'a Directory volume is never created');
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
