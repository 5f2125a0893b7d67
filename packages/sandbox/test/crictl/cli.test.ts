import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCrictl } from '../../src/crictl/cli.js';
import { describeAge } from '../../src/crictl/format.js';
import { writeContainersState, type ContainerRecord } from '../../src/runner/state.js';

async function crictl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCrictl(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

function record(name: string, pid: number, argv: string[], extra: Partial<ContainerRecord> = {}): ContainerRecord {
  const id = (name.replace(/[^a-f]/g, '') + 'f'.repeat(64)).slice(0, 60) + String(pid % 10000).padStart(4, '0');
  return {
    id,
    name,
    podName: `${name}-node1`,
    podNamespace: 'kube-system',
    podId: 'a'.repeat(60) + id.slice(-4),
    pid,
    state: 'running',
    createdAt: new Date(Date.now() - 5000).toISOString(),
    attempt: 0,
    image: `registry.k8s.io/${name}:v1`,
    argv,
    manifest: `/m/${name}.yaml`,
    logPath: `/l/${name}.log`,
    ...extra,
  };
}

test('crictl ps lists what really runs, with the real crictl columns and filters', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-crictl-'));
  const live = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
  const liveToo = spawn('sleep', ['1001'], { detached: true, stdio: 'ignore' });
  t.after(async () => {
    for (const child of [live, liveToo])
      if (child.pid)
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    await rm(dir, { recursive: true, force: true });
  });
  const dead = spawn('true');
  await new Promise((resolve) => dead.once('exit', resolve));
  await mkdir(join(dir, 'node1', 'run'), { recursive: true });
  const state = join(dir, 'node1', 'run', 'containers.json');
  await writeContainersState(state, [
    record('etcd', live.pid!, ['sleep', '1000']),
    record('kube-apiserver', dead.pid!, ['true']), // says running, but its process is gone
    record('kube-scheduler', liveToo.pid!, ['sleep', '1001'], { attempt: 2 }),
    // A live PID that runs something else than what was recorded (PID reuse) is not ours.
    record('kube-controller-manager', live.pid!, ['/usr/bin/kube-controller-manager']),
  ]);

  const ps = await crictl(['--state', state, 'ps']);
  assert.equal(ps.code, 0);
  const lines = ps.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^CONTAINER\s+IMAGE\s+CREATED\s+STATE\s+NAME\s+ATTEMPT\s+POD ID\s+POD$/);
  assert.deepEqual(
    lines
      .slice(1)
      .map((l) => l.split(/\s{3,}/)[4])
      .sort(),
    ['etcd', 'kube-scheduler'],
  );
  assert.match(ps.out, /5 seconds ago\s+Running\s+kube-scheduler\s+2\s+a{9}/);
  assert.match(ps.err, /runner is not running/);

  const all = await crictl(['--state', state, 'ps', '-a']);
  assert.match(all.out, /Exited\s+kube-apiserver/);
  assert.match(all.out, /Exited\s+kube-controller-manager/);

  const quiet = await crictl(['--state', state, 'ps', '-q', '--name', '^etcd$']);
  assert.equal(quiet.out, record('etcd', live.pid!, []).id + '\n');
  const noneRunning = await crictl(['--state', state, 'ps', '--name=apiserver', '-q']);
  assert.equal(noneRunning.out, '');
  const exited = await crictl(['--state', state, 'ps', '--state', 'exited', '-q']);
  assert.equal(exited.out.trim().split('\n').length, 2);

  const json = JSON.parse((await crictl(['--state', state, 'ps', '-o', 'json', '--name', 'sched'])).out);
  assert.equal(json.containers.length, 1);
  assert.equal(json.containers[0].state, 'CONTAINER_RUNNING');
  assert.equal(json.containers[0].metadata.name, 'kube-scheduler');
  assert.equal(json.containers[0].metadata.attempt, 2);
  assert.equal(json.containers[0].labels['io.kubernetes.pod.name'], 'kube-scheduler-node1');

  // Global flags of the real crictl are accepted, so scripts with them run unchanged.
  assert.equal((await crictl(['-r', 'unix:///run/containerd/containerd.sock', '--state', state, 'ps', '-q'])).code, 0);
  assert.equal((await crictl(['--state', state, 'ps', '--bogus'])).code, 1);
  assert.equal((await crictl(['--state', state, 'ps', '--state', 'sleeping'])).code, 1);
  assert.equal((await crictl(['--state', state, 'rmi'])).code, 1);
});

test('crictl fails, saying it cannot tell, when there is no state file', async () => {
  const result = await crictl(['--state', '/nonexistent/run/containers.json', 'ps', '-q']);
  assert.equal(result.code, 1);
  assert.equal(result.out, '');
  assert.match(result.err, /cannot tell which containers run: \/nonexistent\/run\/containers\.json does not exist/);
});

test('CREATED reads like go-units', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const ago = (ms: number) => describeAge(new Date(now - ms).toISOString(), now);
  assert.equal(ago(300), 'Less than a second ago');
  assert.equal(ago(1000), '1 second ago');
  assert.equal(ago(42_000), '42 seconds ago');
  assert.equal(ago(70_000), 'About a minute ago');
  assert.equal(ago(5 * 60_000), '5 minutes ago');
  assert.equal(ago(3 * 3600_000), '3 hours ago');
  assert.equal(ago(72 * 3600_000), '3 days ago');
});
