import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxInputError } from '../src/errors.js';
import { waitForExit } from '../src/processes.js';
import { isProcessAlive } from '@drbook/system';
import { writeContainersState, type ContainerRecord } from '../src/runner/state.js';
import { sandboxDown } from '../src/teardown.js';

function spawnSleeper(args: string[]): ChildProcess {
  const child = spawn('sleep', args, { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

const record = (name: string, pid: number, argv: string[]): ContainerRecord => ({
  id: name.padEnd(64, '0'),
  name,
  podName: `${name}-node1`,
  podNamespace: 'kube-system',
  podId: 'b'.repeat(64),
  pid,
  state: 'running',
  createdAt: new Date().toISOString(),
  attempt: 0,
  image: 'x',
  argv,
  manifest: '',
  logPath: '',
});

test('down on a crashed, half-created sandbox kills the recorded orphans, spares a reused PID, removes the folder', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'drbook-teardown-'));
  const dir = join(base, 'sbx');
  const orphan = spawnSleeper(['1000']);
  const stranger = spawnSleeper(['1001']); // "reuses" a recorded PID but runs something else
  t.after(async () => {
    for (const child of [orphan, stranger]) if (child.pid && isProcessAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
    await rm(base, { recursive: true, force: true });
  });
  await mkdir(join(dir, 'node1', 'run'), { recursive: true });
  // No runner ever started (crashed during up): sandbox.json lists no pids.
  await writeFile(join(dir, 'sandbox.json'), JSON.stringify({ version: 1, dir, status: 'creating', nodes: [{ name: 'node1', ip: '127.0.0.11', root: join(dir, 'node1') }], pids: [] }));
  await writeContainersState(join(dir, 'node1', 'run', 'containers.json'), [
    record('etcd', orphan.pid!, ['sleep', '1000']),
    record('kube-apiserver', stranger.pid!, ['/usr/bin/node', '/repo/dist/src/sandbox/apiserver/main.js']),
  ]);

  const report = await sandboxDown({ dir });
  assert.deepEqual(report.killedContainers, [orphan.pid]);
  assert.ok(await waitForExit(orphan.pid!, 2000));
  assert.equal(isProcessAlive(stranger.pid!), true, 'a PID running something else must never be signalled');
  assert.equal(existsSync(dir), false);

  const again = await sandboxDown({ dir });
  assert.equal(again.existed, false, 'down is idempotent');
});

test('down refuses a folder that is not a sandbox and leaves it alone', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'drbook-teardown-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  await writeFile(join(base, 'precious.txt'), 'keep me');
  await assert.rejects(sandboxDown({ dir: base }), (e: unknown) => e instanceof SandboxInputError && /not a sandbox folder.*precious\.txt/.test(e.message));
  assert.equal(existsSync(join(base, 'precious.txt')), true);
});
