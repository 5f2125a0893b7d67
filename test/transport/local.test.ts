import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from '../../src/transport/local.js';
import { isProcessAlive } from '@drbook/system';
import { sh } from '../../src/shell/command.js';

const transport = new LocalTransport();

test('exec returns exit code, stdout and stderr without rejecting', async () => {
  const result = await transport.exec({ command: sh`printf %s ${'a b'}; echo err >&2; exit 3` });
  assert.equal(result.exitCode, 3);
  assert.equal(result.stdout, 'a b');
  assert.equal(result.stderr, 'err\n');
  assert.equal(result.timedOut, false);
});

test('a timeout kills the whole process tree, not only the shell', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-local-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pidFile = join(dir, 'child.pid');
  // The grandchild writes its pid, then would touch a file after 3 s if it survived.
  const script = sh`(sleep 3; touch ${join(dir, 'survived')}) & echo $! > ${pidFile}; wait`;
  const result = await transport.exec({ command: script, timeoutMs: 300 });
  assert.equal(result.timedOut, true);
  assert.notEqual(result.exitCode, 0);
  const childPid = Number((await readFile(pidFile, 'utf8')).trim());
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(isProcessAlive(childPid), false, 'the background child must be dead');
});

test('an abort signal kills the command and marks it cancelled', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const result = await transport.exec({ command: sh`sleep 30`, signal: controller.signal });
  assert.equal(result.cancelled, true);
  assert.ok(result.durationMs < 10_000);
});

test('output is streamed while the command runs', async () => {
  const seen: string[] = [];
  const result = await transport.exec({ command: sh`echo one; echo two >&2`, onOutput: (s, text) => seen.push(`${s}:${text}`) });
  assert.equal(result.exitCode, 0);
  assert.ok(seen.some((line) => line.startsWith('stdout:one')));
  assert.ok(seen.some((line) => line.startsWith('stderr:two')));
});

test('stat, atomic writeFile with mode, and verified putFile', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-local-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(await transport.stat(join(dir, 'missing')), null);
  const target = join(dir, 'config');
  await transport.writeFile(target, 'hello', { mode: 0o600 });
  assert.equal(await readFile(target, 'utf8'), 'hello');
  assert.equal((await stat(target)).mode & 0o777, 0o600);
  const info = await transport.stat(dir);
  assert.equal(info?.type, 'dir');
  const source = join(dir, 'source');
  await writeFile(source, 'snapshot-bytes');
  const { sha256 } = await transport.putFile(source, join(dir, 'copy/dest'));
  assert.equal(sha256, createHash('sha256').update('snapshot-bytes').digest('hex'));
  assert.equal(await readFile(join(dir, 'copy/dest'), 'utf8'), 'snapshot-bytes');
});
