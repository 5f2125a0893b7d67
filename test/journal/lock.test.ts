import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DrbookError } from '../../src/core/errors.js';
import { acquireLock, type Lock } from '../../src/journal/lock.js';
import { deadPid, tempStateDir } from './helpers.js';

const lockFile = (stateDir: string, host: string) => join(stateDir, 'locks', `${encodeURIComponent(host)}.lock`);
const readLock = async (stateDir: string, host: string) => JSON.parse(await readFile(lockFile(stateDir, host), 'utf8'));
const isLocked =
  (...patterns: RegExp[]) =>
  (e: unknown) => {
    assert.ok(e instanceof DrbookError, String(e));
    assert.equal(e.kind, 'locked');
    for (const p of patterns) assert.match(`${e.message}\n${e.hint ?? ''}`, p);
    return true;
  };

async function writeStaleLock(stateDir: string, host: string, holder: Record<string, unknown>): Promise<void> {
  await mkdir(join(stateDir, 'locks'), { recursive: true });
  await writeFile(lockFile(stateDir, host), JSON.stringify({ runId: 'old-run', machine: hostname(), at: '2026-11-01T00:00:00.000Z', ...holder }));
}

test('one lock file per host holding run id, pid, machine and time; release removes them', async (t) => {
  const stateDir = await tempStateDir(t);
  const lock = await acquireLock(stateDir, ['m2', 'm1', 'm2'], 'run-a');
  assert.deepEqual(lock.hosts, ['m1', 'm2'], 'deduplicated, in sorted order');
  assert.deepEqual(lock.staleTakenOver, []);
  const holder = await readLock(stateDir, 'm1');
  assert.equal(holder.runId, 'run-a');
  assert.equal(holder.pid, process.pid);
  assert.equal(holder.machine, hostname());
  assert.ok(!Number.isNaN(Date.parse(holder.at)));
  await lock.release();
  await lock.release();
  assert.deepEqual(await readdir(join(stateDir, 'locks')), [], 'no lock, guard or temp file left');
});

test('a second run on an overlapping host is refused, naming host, run and pid; what it took is released', async (t) => {
  const stateDir = await tempStateDir(t);
  const first = await acquireLock(stateDir, ['m2'], 'run-a');
  t.after(() => first.release());
  await assert.rejects(acquireLock(stateDir, ['m3', 'm1', 'm2'], 'run-b'), isLocked(/host m2 is locked by run run-a/, new RegExp(`pid ${process.pid}`), /drbook runs/));
  assert.equal(existsSync(lockFile(stateDir, 'm1')), false, 'm1 was taken before m2 and must be released');
  assert.equal(existsSync(lockFile(stateDir, 'm3')), false);
  assert.equal((await readLock(stateDir, 'm2')).runId, 'run-a', 'the holder keeps its lock');
});

test('two runs racing for the same hosts: exactly one gets them', async (t) => {
  const stateDir = await tempStateDir(t);
  const results = await Promise.allSettled([acquireLock(stateDir, ['m1', 'm2', 'm3'], 'run-a'), acquireLock(stateDir, ['m3', 'm2', 'm1'], 'run-b')]);
  const won = results.filter((r): r is PromiseFulfilledResult<Lock> => r.status === 'fulfilled');
  t.after(() => Promise.all(won.map((r) => r.value.release())));
  assert.equal(won.length, 1);
  const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.ok(isLocked(/is locked by run/)(lost.reason));
  for (const host of ['m1', 'm2', 'm3']) assert.equal((await readLock(stateDir, host)).runId, won[0]!.value.runId);
});

test('a lock left by a dead process is stale: taken over and reported', async (t) => {
  const stateDir = await tempStateDir(t);
  const pid = await deadPid();
  await writeStaleLock(stateDir, 'm1', { pid });
  const lock = await acquireLock(stateDir, ['m1', 'm2'], 'run-new');
  t.after(() => lock.release());
  assert.deepEqual(lock.staleTakenOver, ['m1']);
  assert.equal(lock.staleHolders[0]!.pid, pid);
  assert.equal(lock.staleHolders[0]!.runId, 'old-run');
  assert.equal((await readLock(stateDir, 'm1')).runId, 'run-new');
  assert.deepEqual((await readdir(join(stateDir, 'locks'))).sort(), ['m1.lock', 'm2.lock']);
});

test('a live holder refuses; once it has exited, its lock is taken over', async (t) => {
  const stateDir = await tempStateDir(t);
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  t.after(() => {
    if (holder.exitCode === null && holder.signalCode === null) process.kill(holder.pid!, 'SIGKILL');
  });
  await writeStaleLock(stateDir, 'm1', { pid: holder.pid, runId: 'other-run' });
  await assert.rejects(acquireLock(stateDir, ['m1'], 'run-new'), isLocked(/locked by run other-run/, new RegExp(`stop process ${holder.pid}`)));
  process.kill(holder.pid!, 'SIGKILL');
  await exited;
  const lock = await acquireLock(stateDir, ['m1'], 'run-new');
  t.after(() => lock.release());
  assert.deepEqual(lock.staleTakenOver, ['m1']);
});

test('racing takeovers of one stale lock: exactly one run wins each time', async (t) => {
  const stateDir = await tempStateDir(t);
  const pid = await deadPid();
  for (let round = 0; round < 8; round++) {
    await writeStaleLock(stateDir, 'm1', { pid });
    const results = await Promise.allSettled(['a', 'b', 'c'].map((r) => acquireLock(stateDir, ['m1'], `run-${r}`)));
    const won = results.filter((r): r is PromiseFulfilledResult<Lock> => r.status === 'fulfilled');
    assert.equal(won.length, 1, `round ${round}: ${results.map((r) => r.status).join(',')}`);
    assert.equal((await readLock(stateDir, 'm1')).runId, won[0]!.value.runId);
    for (const r of results) if (r.status === 'rejected') assert.ok(isLocked()(r.reason));
    await won[0]!.value.release();
  }
});

test('a reused pid is not mistaken for the holder (process start time differs)', { skip: !existsSync('/proc/self/stat') }, async (t) => {
  const stateDir = await tempStateDir(t);
  await writeStaleLock(stateDir, 'm1', { pid: process.pid, pidStart: '1' });
  const lock = await acquireLock(stateDir, ['m1'], 'run-new');
  t.after(() => lock.release());
  assert.deepEqual(lock.staleTakenOver, ['m1']);
});

test('release leaves a lock another run has taken over', async (t) => {
  const stateDir = await tempStateDir(t);
  const pid = await deadPid();
  const ghost = await acquireLock(stateDir, ['m1'], 'run-ghost', { pid }); // as if its process had died
  const next = await acquireLock(stateDir, ['m1'], 'run-next');
  t.after(() => next.release());
  assert.deepEqual(next.staleTakenOver, ['m1']);
  await ghost.release();
  assert.equal((await readLock(stateDir, 'm1')).runId, 'run-next');
});

test('a lock from another machine cannot be checked and is respected', async (t) => {
  const stateDir = await tempStateDir(t);
  await writeStaleLock(stateDir, 'm1', { pid: await deadPid(), machine: 'jump-box' });
  await assert.rejects(acquireLock(stateDir, ['m1'], 'run-new'), isLocked(/machine jump-box/, /cannot be checked/, /delete .*m1\.lock/));
});

test('an unreadable lock file is refused with the file to delete', async (t) => {
  const stateDir = await tempStateDir(t);
  await mkdir(join(stateDir, 'locks'), { recursive: true });
  await writeFile(lockFile(stateDir, 'm1'), 'not json');
  await assert.rejects(acquireLock(stateDir, ['m1'], 'run-new'), isLocked(/cannot be read/, /delete .*m1\.lock/));
});

test('host names cannot escape the locks folder', async (t) => {
  const stateDir = await tempStateDir(t);
  const lock = await acquireLock(stateDir, ['../evil', 'a/b'], 'run-a');
  t.after(() => lock.release());
  assert.deepEqual((await readdir(join(stateDir, 'locks'))).sort(), ['..%2Fevil.lock', 'a%2Fb.lock']);
  assert.deepEqual((await readdir(stateDir)).sort(), ['locks']);
});

test("keyed by what the host is: two clusters' node1 do not lock each other out; two names for one host do", async (t) => {
  const stateDir = await tempStateDir(t);
  const clusterA = await acquireLock(stateDir, [{ name: 'node1', key: 'ssh-127.0.230.11-22', where: '127.0.230.11:22' }], 'run-a');
  t.after(() => clusterA.release());
  const clusterB = await acquireLock(stateDir, [{ name: 'node1', key: 'ssh-127.0.231.11-22', where: '127.0.231.11:22' }], 'run-b');
  t.after(() => clusterB.release());
  assert.deepEqual((await readdir(join(stateDir, 'locks'))).sort(), ['ssh-127.0.230.11-22.lock', 'ssh-127.0.231.11-22.lock']);
  const holder = JSON.parse(await readFile(join(stateDir, 'locks', 'ssh-127.0.230.11-22.lock'), 'utf8'));
  assert.equal(holder.host, 'node1', 'the lock says which name the run gave the host');
  assert.equal(holder.where, '127.0.230.11:22');
  // The same address under another name (another inventory of cluster A) is refused, naming both.
  await assert.rejects(
    acquireLock(stateDir, [{ name: 'm1', key: 'ssh-127.0.230.11-22', where: '127.0.230.11:22' }], 'run-c'),
    isLocked(/host m1 \(127\.0\.230\.11:22\) is locked by run run-a \(pid \d+, since [^,]+, which calls it node1\)/),
  );
});

test('one run naming one host twice takes its lock once', async (t) => {
  const stateDir = await tempStateDir(t);
  const lock = await acquireLock(
    stateDir,
    [
      { name: 'node1', key: 'ssh-10.0.0.1-22' },
      { name: '10.0.0.1', key: 'ssh-10.0.0.1-22' },
    ],
    'run-a',
  );
  t.after(() => lock.release());
  assert.deepEqual(lock.hosts, ['node1']);
  assert.deepEqual(await readdir(join(stateDir, 'locks')), ['ssh-10.0.0.1-22.lock']);
});

test('a lock by host name left by an earlier drbook: taken over when its holder is dead, refused while it lives', async (t) => {
  const stateDir = await tempStateDir(t);
  const target = { name: 'node1', key: 'ssh-127.0.230.11-22', where: '127.0.230.11:22' };
  await writeStaleLock(stateDir, 'node1', { pid: await deadPid(), runId: 'old-crashed' });
  const lock = await acquireLock(stateDir, [target], 'run-new');
  assert.deepEqual(lock.staleTakenOver, ['node1']);
  assert.equal(lock.staleHolders[0]!.runId, 'old-crashed');
  assert.deepEqual(await readdir(join(stateDir, 'locks')), ['ssh-127.0.230.11-22.lock'], 'the name-keyed lock is gone');
  await lock.release();

  await writeStaleLock(stateDir, 'node1', { pid: process.pid, runId: 'old-live' }); // an old drbook running now
  await assert.rejects(
    acquireLock(stateDir, [target], 'run-new'),
    isLocked(/host node1 \(127\.0\.230\.11:22\) is locked by run old-live/, /earlier drbook's lock by host name only, which may be another cluster's node1/),
  );
  assert.deepEqual(await readdir(join(stateDir, 'locks')), ['node1.lock'], 'the keyed lock taken meanwhile is released');
});
