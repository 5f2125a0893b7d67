// The one SIGTERM-grace-SIGKILL of @drbook/system, on real processes (started here,
// stopped by the PIDs started here): a group that stops on SIGTERM, a group whose member
// ignores it, a process that is not a group leader, and a list of single processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { isProcessAlive, readProcStat, terminateProcesses, terminateProcessGroup } from '@drbook/system';

/** A detached shell (its own group) that starts `child` in the background and waits. */
function startGroup(child: string): { pid: number; memberPid: () => number | undefined } {
  const shell = spawn('/bin/sh', ['-c', `${child} & echo $! ; wait`], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  let member: number | undefined;
  shell.stdout!.on('data', (chunk: Buffer) => (member ??= Number(chunk.toString().trim())));
  return { pid: shell.pid!, memberPid: () => member };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a group that stops on SIGTERM is gone within the grace period, every member with it', async () => {
  const group = startGroup('sleep 60');
  await until(() => group.memberPid() !== undefined);
  const member = group.memberPid()!;
  assert.equal(readProcStat(member)?.pgid, group.pid, "the background sleep is in the shell's group");
  const started = Date.now();
  assert.equal(await terminateProcessGroup(group.pid, { graceMs: 5000 }), true);
  assert.ok(Date.now() - started < 4000, 'no wait for the grace period: SIGTERM was enough');
  assert.equal(isProcessAlive(member), false);
  assert.equal(isProcessAlive(group.pid), false);
});

test('a member that ignores SIGTERM gets SIGKILL once the grace period is over, and onKill is told', async () => {
  // The shell exits on SIGTERM; its background child ignores it (trap '' TERM in a subshell).
  const group = startGroup(`sh -c "trap '' TERM; while :; do sleep 0.1; done"`);
  await until(() => group.memberPid() !== undefined);
  const member = group.memberPid()!;
  const killed: number[][] = [];
  const started = Date.now();
  const report = await terminateProcesses([group.pid], { graceMs: 600, onKill: (pids) => killed.push(pids) });
  const took = Date.now() - started;
  assert.deepEqual(report, { stopped: [group.pid], stillAlive: [] });
  assert.deepEqual(killed, [[group.pid]]);
  assert.ok(took >= 550, `waited the grace period before SIGKILL (${took} ms)`);
  assert.equal(isProcessAlive(member), false, 'the stubborn member is gone too');
});

test('scope process signals each pid alone; dead or bogus pids are not targets', async () => {
  const a = spawn('sleep', ['60'], { stdio: 'ignore' });
  const b = spawn('sleep', ['60'], { stdio: 'ignore' });
  const report = await terminateProcesses([a.pid!, b.pid!, a.pid!, 0, -1], { scope: 'process', graceMs: 2000 });
  assert.deepEqual(report.stopped.sort(), [a.pid!, b.pid!].sort());
  assert.deepEqual(report.stillAlive, []);
  assert.equal(isProcessAlive(a.pid), false);
  assert.equal(isProcessAlive(b.pid), false);
  assert.deepEqual(await terminateProcesses([a.pid!], { graceMs: 10 }), { stopped: [], stillAlive: [] });
});

test('group scope on a pid that leads no group still stops that process', async () => {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' }); // same group as this test process
  assert.notEqual(readProcStat(child.pid!)?.pgid, child.pid);
  assert.equal(await terminateProcessGroup(child.pid!, { graceMs: 2000 }), true);
  assert.equal(isProcessAlive(child.pid), false);
  assert.equal(isProcessAlive(process.pid), true, 'the group it is in (ours) was not signalled');
});
