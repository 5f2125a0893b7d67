// One connection per host, the per-connection channel limit, and dropped connections,
// against a real sshd on 127.0.0.63.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DrbookError } from '../../../src/core/errors.js';
import { sh } from '../../../src/shell/command.js';
import { SshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { listDescendants, startSshd, type TestSshd } from '../../support/sshd.js';

let sshd: TestSshd;

before(async () => {
  sshd = await startSshd({ address: '127.0.0.63', maxSessions: 3 });
});
after(() => sshd?.stop());

function open(extra = {}): SshTransport {
  return new SshTransport(sshd.host('m3', extra), { sshConfigFile: null, env: {} });
}

test('20 sequential and 20 parallel commands share one connection', async (t) => {
  const transport = open({ maxChannels: 3 });
  t.after(() => transport.close());
  const before = await sshd.countAcceptedConnections();
  for (let i = 0; i < 20; i++) assert.equal((await transport.exec({ command: sh`echo ${i}` })).stdout, `${i}\n`);
  const parallel = await Promise.all(Array.from({ length: 20 }, (_, i) => transport.exec({ command: sh`echo ${i}` })));
  assert.deepEqual(
    parallel.map((r) => r.stdout),
    Array.from({ length: 20 }, (_, i) => `${i}\n`),
  );
  assert.equal(transport.connectionsOpened, 1);
  assert.equal((await sshd.countAcceptedConnections()) - before, 1, "sshd's own log agrees");
});

test('the channel limit holds: 6 parallel sleeps on maxChannels 3 run at most 2 at a time', async (t) => {
  const transport = open({ maxChannels: 3 }); // one slot stays free for kills
  t.after(() => transport.close());
  // Each command reports when it ran, by the host's clock: no wall-clock margins here.
  const results = await Promise.all(Array.from({ length: 6 }, () => transport.exec({ command: sh`date +%s%N; sleep 0.3; date +%s%N` })));
  const intervals = results.map((r) => {
    assert.equal(r.exitCode, 0, r.stderr);
    const [start, end] = r.stdout.trim().split('\n').map(BigInt);
    return { start: start!, end: end! };
  });
  const overlapAt = (t0: bigint) => intervals.filter((i) => i.start <= t0 && t0 < i.end).length;
  const maxOverlap = Math.max(...intervals.map((i) => overlapAt(i.start)));
  assert.equal(maxOverlap, 2, 'two at a time: parallel, and never more');
  assert.ok(Math.ceil(intervals.length / maxOverlap) >= 3, 'so six sleeps take at least three rounds');
});

test('timeouts are enforced even when every work slot holds a hung command (server MaxSessions 3)', async (t) => {
  const transport = open({ maxChannels: 3 });
  t.after(() => transport.close());
  const results = await Promise.all([1, 2, 3].map(() => transport.exec({ command: sh`sleep 30`, timeoutMs: 300 })));
  for (const result of results) {
    assert.equal(result.timedOut, true);
    assert.equal(result.signal, 'SIGTERM', 'the kill channel got through');
  }
  assert.equal((await transport.exec({ command: sh`echo free` })).stdout, 'free\n');
});

test('files and commands share the limit: the idle SFTP session gives its slot back', async (t) => {
  const transport = open({ maxChannels: 2 }); // a single slot for work
  t.after(() => transport.close());
  assert.equal(await transport.stat('/nonexistent'), null); // opens the SFTP session
  assert.equal((await transport.exec({ command: sh`echo after-sftp` })).stdout, 'after-sftp\n');
  assert.equal((await transport.stat('/'))?.type, 'dir');
});

test('a dropped connection rejects the running command as unreachable; the next call reconnects', async (t) => {
  const transport = open();
  t.after(() => transport.close());
  await transport.connect();
  const running = transport.exec({ command: sh`sleep 30` });
  await new Promise((r) => setTimeout(r, 200));
  killSessionProcesses(); // like a network cut: sshd's per-connection processes vanish
  await assert.rejects(running, (error: DrbookError) => {
    assert.equal(error.kind, 'unreachable');
    assert.equal(error.host, 'm3');
    assert.match(error.message, /lost the SSH connection .* during: sleep 30/);
    return true;
  });
  assert.equal((await transport.exec({ command: sh`echo back` })).stdout, 'back\n');
  assert.equal(transport.connectionsOpened, 2);
  await transport.reconnect();
  assert.equal(transport.connectionsOpened, 3);
});

test('an unanswered keepalive drops the connection as unreachable', async (t) => {
  const transport = open({ keepaliveIntervalMs: 200 });
  t.after(() => transport.close());
  await transport.connect();
  const running = transport.exec({ command: sh`sleep 30` });
  await new Promise((r) => setTimeout(r, 200));
  const frozen = listDescendants(sshd.pid);
  for (const pid of frozen) process.kill(pid, 'SIGSTOP');
  t.after(() => {
    for (const pid of frozen) signalQuietly(pid, 'SIGKILL');
    for (const pid of frozen) signalQuietly(pid, 'SIGCONT');
  });
  await assert.rejects(running, (error: DrbookError) => error.kind === 'unreachable' && /Keepalive timeout/.test(error.message));
});

test('a crashed sshd: the running command and the next one are unreachable', async () => {
  const transport = open();
  try {
    await transport.connect();
    const running = transport.exec({ command: sh`sleep 30` });
    await new Promise((r) => setTimeout(r, 200));
    sshd.crash();
    await assert.rejects(running, (error: DrbookError) => error.kind === 'unreachable');
    await assert.rejects(transport.exec({ command: sh`true` }), (error: DrbookError) => {
      assert.equal(error.kind, 'unreachable');
      assert.match(error.message, /connection refused/);
      return true;
    });
  } finally {
    await transport.close();
  }
});

function killSessionProcesses(): void {
  for (const pid of listDescendants(sshd.pid)) signalQuietly(pid, 'SIGKILL');
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
