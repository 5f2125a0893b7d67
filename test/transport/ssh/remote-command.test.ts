// The exec wrapper and the kill script are plain sh: run here through a local `sh -c`,
// the way sshd hands them to the login shell.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { InputError } from '../../../src/core/errors.js';
import { readProcStat } from '@drbook/system';
import { buildExecCommand, buildKillCommand, escapeForPrintfB, isSudoPasswordFailure, markerPrefix, MarkerFilter, type RemoteCommand } from '../../../src/transport/ssh/remote-command.js';

const run = promisify(execFile);

function filter(nonce: string) {
  const passed: Buffer[] = [];
  const seen: number[] = [];
  const f = new MarkerFilter(
    nonce,
    (c) => passed.push(c),
    (p) => seen.push(p),
  );
  return { f, text: () => Buffer.concat(passed).toString(), seen };
}

/** Run the wrapper the way sshd does (the login shell's `-c`), its preamble and input on stdin. */
function runWrapper(shell: string, remote: RemoteCommand, input = ''): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(shell, ['-c', remote.command], (error, stdout, stderr) => (error ? reject(Object.assign(error, { stderr })) : resolve({ stdout, stderr })));
    child.stdin!.end(Buffer.concat([remote.preamble ?? Buffer.alloc(0), Buffer.from(input)]));
  });
}

const SHELLS = ['/bin/sh', '/bin/bash'].filter((s) => existsSync(s));

test('the wrapper reports its process group first, then runs the script with env, quoting intact', async () => {
  const value = `a'b"c $HOME \\ \n end`;
  const remote = buildExecCommand({ script: 'printf %s "$V"; echo err >&2', nonce: 'n1', become: false, env: { V: value } });
  const { stdout, stderr } = await runWrapper('sh', remote);
  assert.equal(stdout, value);
  const match = new RegExp(`^${markerPrefix('n1')}(\\d+)\\nerr\\n$`).exec(stderr);
  assert.ok(match, stderr);
  const { f, text, seen } = filter('n1');
  f.push(Buffer.from(stderr));
  f.end();
  assert.equal(text(), 'err\n');
  assert.deepEqual(seen, [Number(match![1])]);
});

// Values that break naive readers: newlines (also trailing), backslashes and printf
// escapes, quotes, `$( )`, the preamble's own end line, `=`, multibyte text, 10 KB.
const HOSTILE_ENV = ['\n', 'end\n\n', '.', '\\c\\0101%s%b\\n', `'"\`$(touch X)\``, 'A=B=C', ' lead and trail ', 'ümlaut ✓\ttab', '-n', '', 'x'.repeat(10_000)];

test('env values reach the script byte-exact through the stdin preamble, never in the command line, and the script still gets its own stdin', async () => {
  for (const shell of SHELLS) {
    for (const value of HOSTILE_ENV) {
      const remote = buildExecCommand({ script: 'printf "%s|" "$V" "$W"; cat', nonce: 'n3', become: false, env: { V: value, W: 'second' } });
      if (value.length >= 2) assert.ok(!remote.command.includes(value), `value in the command line: ${remote.command}`);
      assert.ok(remote.preamble, 'env goes in a preamble');
      const { stdout } = await runWrapper(shell, remote, 'own input\n');
      assert.equal(stdout, `${value}|second|own input\n`, `${shell}, value ${JSON.stringify(value).slice(0, 80)}`);
    }
  }
});

test("without env there is no preamble and stdin is the script's own", async () => {
  const remote = buildExecCommand({ script: 'cat', nonce: 'n4', become: false });
  assert.equal(remote.preamble, undefined);
  assert.equal((await runWrapper('sh', remote, 'data')).stdout, 'data');
});

test('escapeForPrintfB leaves no byte of the value that sh could read as syntax', () => {
  assert.match(escapeForPrintfB(`a b'"\\$\n✓`), /^[A-Za-z0-9_.,:@+=/\\-]*$/);
  assert.equal(escapeForPrintfB('\n'), '\\0012');
});

test('the reported id is the process group of the running command', async () => {
  const remote = buildExecCommand({ script: 'ps -o pgid= -p $$', nonce: 'n2', become: false });
  const { stdout, stderr } = await runWrapper('sh', remote);
  const reported = Number(new RegExp(`${markerPrefix('n2')}(\\d+)`).exec(stderr)![1]);
  assert.equal(Number(stdout.trim()), reported);
});

test('become runs the wrapper through non-interactive sudo', () => {
  assert.match(buildExecCommand({ script: 'id', nonce: 'n', become: true }).command, /^exec sudo -n -- setsid -w sh -c /);
  assert.match(buildKillCommand(1234, true, 2000), /^exec sudo -n -- sh -c /);
});

test('environment names are checked', () => {
  assert.throws(() => buildExecCommand({ script: 'true', nonce: 'n', become: false, env: { 'BAD;rm': 'x' } }), InputError);
});

test('the marker filter copes with split chunks, output before the marker and forged markers', () => {
  const { f, text, seen } = filter('abc');
  f.push(Buffer.from('motd line\nDRBOOK_PGID_a'));
  f.push(Buffer.from('bc=42'));
  assert.deepEqual(seen, []);
  f.push(Buffer.from('\nafter\nDRBOOK_PGID_xyz=7\n'));
  f.push(Buffer.from('DRBOOK_PGID_abc=9\n')); // only the first marker is ours
  f.end();
  assert.deepEqual(seen, [42]);
  assert.equal(text(), 'motd line\nafter\nDRBOOK_PGID_xyz=7\nDRBOOK_PGID_abc=9\n');
});

test('without a marker everything held is passed on at the end', () => {
  const { f, text, seen } = filter('abc');
  f.push(Buffer.from('sudo: a password is required\n'));
  assert.equal(text(), '');
  f.end();
  assert.equal(text(), 'sudo: a password is required\n');
  assert.deepEqual(seen, []);
  assert.equal(f.found, false);
});

test('the kill script ends a whole process group, TERM first', async (t) => {
  const tag = `3004.${process.pid}`;
  const child = spawn('setsid', ['-w', 'sh', '-c', `sleep ${tag} & sleep ${tag} & wait`], { stdio: 'ignore' });
  t.after(() => {
    for (const pid of groupMembers(child.pid!)) process.kill(pid, 'SIGKILL');
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(groupMembers(child.pid!).length >= 2, 'the group is running');
  const { stdout } = await run('sh', ['-c', buildKillCommand(child.pid!, false, 1000)]);
  assert.equal(stdout, '', 'TERM was enough: no KILL needed');
  assert.deepEqual(groupMembers(child.pid!), []);
});

test('the kill script refuses nonsense process groups', () => {
  assert.throws(() => buildKillCommand(1, false, 100));
  assert.throws(() => buildKillCommand(0, false, 100));
});

test('sudo password failures are recognised', () => {
  assert.ok(isSudoPasswordFailure('sudo: a password is required\n'));
  assert.ok(isSudoPasswordFailure('sudo: a terminal is required to read the password; either use the -S option\n'));
  assert.ok(!isSudoPasswordFailure('error: password is required for the database\n'));
});

/** Live (non-zombie) processes in a process group, read from /proc. */
function groupMembers(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSyncSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry)); // undefined: gone
    if (stat && stat.state !== 'Z' && stat.pgid === pgid) found.push(Number(entry));
  }
  return found;
}

function readdirSyncSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
