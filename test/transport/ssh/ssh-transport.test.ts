// SshTransport against a real OpenSSH server on 127.0.0.61: commands, quoting,
// process-tree kill on timeout and abort, files over SFTP, verified copies.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { raw, sh } from '../../../src/shell/command.js';
import { SshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { killPidsMatching, livePidsMatching, startSshd, type TestSshd } from '../../support/sshd.js';

let sshd: TestSshd;
let transport: SshTransport;
let work: string;

before(async () => {
  sshd = await startSshd({ address: '127.0.0.61' });
  transport = new SshTransport(sshd.host('m1'), { sshConfigFile: null, env: {} });
  work = await mkdtemp(join(tmpdir(), 'drbook-ssh-files-'));
});

after(async () => {
  await transport?.close();
  await sshd?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('exec returns stdout, stderr and the exit code without rejecting', async () => {
  const result = await transport.exec({ command: sh`printf %s ${'a b'}; echo err >&2; exit 3` });
  assert.equal(result.exitCode, 3);
  assert.equal(result.stdout, 'a b');
  assert.equal(result.stderr, 'err\n', 'the process-group marker line must not leak into stderr');
  assert.equal(result.timedOut, false);
  assert.equal(result.cancelled, false);
});

test('a quoting torture value round-trips byte-exact, as an argument, through env and through stdin', async () => {
  const torture = `it's "quoted" $HOME \`id\` $(id) \\ back\\slash ; & | < > * ? [a] {b,c} ~ # % ! \t tab\nnew line 'single' ünïcødé 😀 -n --`;
  const asArg = await transport.exec({ command: sh`printf %s ${torture}` });
  assert.equal(asArg.stdout, torture);
  const viaEnv = await transport.exec({ command: sh`printf %s "$DRBOOK_VALUE"`, env: { DRBOOK_VALUE: torture } });
  assert.equal(viaEnv.stdout, torture);
  const viaStdin = await transport.exec({ command: sh`cat`, stdin: torture });
  assert.equal(viaStdin.stdout, torture);
});

test('output is streamed while the command runs', async () => {
  const seen: string[] = [];
  const result = await transport.exec({ command: sh`echo one; echo two >&2`, onOutput: (s, text) => seen.push(`${s}:${text}`) });
  assert.equal(result.exitCode, 0);
  assert.ok(
    seen.some((line) => line.startsWith('stdout:one')),
    seen.join('|'),
  );
  assert.ok(
    seen.some((line) => line.startsWith('stderr:two')),
    seen.join('|'),
  );
  assert.ok(!seen.join('').includes('DRBOOK_PGID'), 'the marker is never streamed');
});

test('a timeout kills the whole remote process tree, not only the channel', async (t) => {
  const tag = `3000.${randomBytes(4).readUInt32BE(0)}`; // a unique sleep argument to find the processes by
  t.after(() => killPidsMatching(tag));
  const script = `sleep ${tag} & sh -c 'sleep ${tag}; :' & sleep ${tag}; wait`;
  const result = await transport.exec({ command: sh`${raw(script)}`, timeoutMs: 500 });
  assert.equal(result.timedOut, true);
  assert.equal(result.exitCode, null);
  assert.equal(result.signal, 'SIGTERM');
  assert.equal(result.stderr, '', 'no wrapper noise in stderr');
  assert.deepEqual(await waitForNone(tag), [], 'no process of the command may survive');
});

test('a command killed by a signal reports the signal, like the local transport', async () => {
  const result = await transport.exec({ command: sh`echo before >&2; kill -KILL $$` });
  assert.equal(result.exitCode, null);
  assert.equal(result.signal, 'SIGKILL');
  assert.equal(result.stderr, 'before\n');
  assert.equal(result.timedOut, false);
});

test('an abort kills the command tree and marks the result cancelled', async (t) => {
  const tag = `3001.${randomBytes(4).readUInt32BE(0)}`;
  t.after(() => killPidsMatching(tag));
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  const result = await transport.exec({ command: sh`${raw(`sleep ${tag} & sleep ${tag}; wait`)}`, signal: controller.signal });
  assert.equal(result.cancelled, true);
  assert.equal(result.exitCode, null);
  assert.deepEqual(await waitForNone(tag), []);
});

test('a process that ignores SIGTERM is killed after the grace period', async (t) => {
  const tag = `3002.${randomBytes(4).readUInt32BE(0)}`;
  t.after(() => killPidsMatching(tag));
  const stubborn = new SshTransport(sshd.host('m1'), { sshConfigFile: null, env: {}, killGraceMs: 300 });
  t.after(() => stubborn.close());
  const result = await stubborn.exec({ command: sh`${raw(`trap '' TERM; sh -c "trap '' TERM; sleep ${tag}" & wait; wait`)}`, timeoutMs: 300 });
  assert.equal(result.timedOut, true);
  assert.equal(result.signal, 'SIGKILL');
  assert.deepEqual(await waitForNone(tag), []);
});

test('stat of a missing path is null; stat reports type, mode and size', async () => {
  assert.equal(await transport.stat(join(work, 'missing')), null);
  await writeFile(join(work, 'plain'), 'hello');
  const info = await transport.stat(join(work, 'plain'));
  assert.equal(info?.type, 'file');
  assert.equal(info?.size, 5);
  assert.equal((await transport.stat(work))?.type, 'dir');
});

test('writeFile is atomic, sets the mode and leaves no temporary file', async () => {
  const target = join(work, 'config.yaml');
  await writeFile(target, 'old');
  await transport.writeFile(target, 'new contents\n', { mode: 0o600 });
  assert.equal(await readFile(target, 'utf8'), 'new contents\n');
  assert.equal((await stat(target)).mode & 0o777, 0o600);
  assert.deepEqual(
    (await transport.readDir(work)).filter((n) => n.includes('drbook')),
    [],
  );
  assert.equal((await transport.readFile(target)).toString(), 'new contents\n');
});

test('putFile and getFile stream a file and check SHA-256 on both ends', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 17); // several pipelined SFTP chunks
  const expected = createHash('sha256').update(data).digest('hex');
  const source = join(work, 'snapshot.db');
  await writeFile(source, data);
  const uploaded = await transport.putFile(source, join(work, 'remote/dir/snap.db'), { mode: 0o640 });
  assert.equal(uploaded.sha256, expected);
  assert.ok(readFileSync(join(work, 'remote/dir/snap.db')).equals(data));
  assert.equal((await stat(join(work, 'remote/dir/snap.db'))).mode & 0o777, 0o640);
  assert.equal(await transport.stat(join(work, 'remote/dir/snap.db.part')), null);
  const downloaded = await transport.getFile(join(work, 'remote/dir/snap.db'), join(work, 'back/snap.db'));
  assert.equal(downloaded.sha256, expected);
  assert.ok(readFileSync(join(work, 'back/snap.db')).equals(data));
});

test('readFile of a missing file names the host and the path', async () => {
  await assert.rejects(transport.readFile(join(work, 'nope')), (error: Error & { host?: string }) => {
    assert.equal(error.host, 'm1');
    assert.match(error.message, /nope.*no such file/);
    return true;
  });
});

test('every call above went over one connection', async () => {
  assert.equal(transport.connectionsOpened, 1);
});

// ---- processes are found by a unique argument and killed by PID only ----

async function waitForNone(tag: string): Promise<number[]> {
  for (let i = 0; i < 40; i++) {
    if (livePidsMatching(tag).length === 0) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  return livePidsMatching(tag);
}
