// `become` over a real sshd on 127.0.0.67. The test user is already root here, and sudo
// need not be installed, so a stand-in `sudo` first on the session's PATH records how it
// was called, insists on -n (non-interactive), and runs the rest — or answers like sudo
// does when a password would be needed.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrbookError } from '../../../src/core/errors.js';
import { raw, sh } from '../../../src/shell/command.js';
import { SshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { killPidsMatching, livePidsMatching, startSshd, writeScript, type TestSshd } from '../../support/sshd.js';
import { tmpdir } from 'node:os';

const stage = mkdtempSync(join(tmpdir(), 'drbook-become-'));
const bin = join(stage, 'bin');
const sudoLog = join(stage, 'sudo.log');
const needPassword = join(stage, 'need-password');
const corrupt = join(stage, 'corrupt'); // while it exists, the host's sha256sum "sees" other bytes
let sshd: TestSshd;
let transport: SshTransport;

before(async () => {
  await mkdir(bin);
  await writeScript(
    join(bin, 'sudo'),
    `#!/bin/sh
printf '%s\\n' "$*" >> ${sudoLog}
[ "$1" = "-n" ] || { echo "stand-in sudo: expected -n first" >&2; exit 99; }
shift
[ "$1" = "--" ] && shift
if [ -e ${needPassword} ]; then echo "sudo: a password is required" >&2; exit 1; fi
exec "$@"
`,
  );
  await writeScript(
    join(bin, 'sha256sum'),
    `#!/bin/sh
if [ -e ${corrupt} ]; then cat >/dev/null; echo "${'0'.repeat(64)}  -"; exit 0; fi
exec /usr/bin/sha256sum "$@"
`,
  );
  sshd = await startSshd({ address: '127.0.0.67', binDir: bin });
  transport = new SshTransport(sshd.host('m7', { become: true }), { sshConfigFile: null, env: {} });
});

after(async () => {
  await transport?.close();
  await sshd?.stop();
  await rm(stage, { recursive: true, force: true });
});

const sudoCalls = () =>
  readFile(sudoLog, 'utf8').then(
    (text) => text.split('\n').filter(Boolean),
    () => [] as string[],
  );

test('commands run through sudo -n', async () => {
  const result = await transport.exec({ command: sh`printf %s ${"it's"}; exit 4` });
  assert.equal(result.stdout, "it's");
  assert.equal(result.exitCode, 4);
  const calls = await sudoCalls();
  assert.match(calls.at(-1)!, /^-n -- setsid -w sh -c /);
});

test('file operations go through sudo as well, and keep their guarantees', async () => {
  const before = (await sudoCalls()).length;
  const dir = join(stage, 'files');
  await mkdir(dir);
  const file = join(dir, 'etcd.yaml');
  assert.equal(await transport.stat(file), null);
  await transport.writeFile(file, 'name: m7\n', { mode: 0o600 });
  assert.equal(await readFile(file, 'utf8'), 'name: m7\n');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(await transport.stat(file), { type: 'file', mode: 0o600, uid: process.getuid!(), gid: process.getgid!(), size: 9 });
  assert.equal((await transport.readFile(file)).toString(), 'name: m7\n');
  assert.deepEqual(await transport.readDir(dir), ['etcd.yaml'], 'no temporary file is left');

  const data = randomBytes(700_000);
  await writeFile(join(stage, 'snap.db'), data);
  const up = await transport.putFile(join(stage, 'snap.db'), join(dir, 'up/snap.db'), { mode: 0o640 });
  assert.equal(up.sha256, createHash('sha256').update(data).digest('hex'));
  assert.ok(readFileSync(join(dir, 'up/snap.db')).equals(data));
  assert.equal((await stat(join(dir, 'up/snap.db'))).mode & 0o777, 0o640);
  const down = await transport.getFile(join(dir, 'up/snap.db'), join(stage, 'down/snap.db'));
  assert.equal(down.sha256, up.sha256);
  assert.ok(readFileSync(join(stage, 'down/snap.db')).equals(data));
  assert.ok((await sudoCalls()).length - before >= 8, 'every file operation went through sudo');
});

test('a copy whose hashes differ is refused, naming both, and nothing lands', async (t) => {
  const dir = join(stage, 'corrupt-copies');
  await mkdir(dir);
  await writeFile(join(dir, 'local.db'), 'precious bytes');
  await writeFile(join(dir, 'remote.db'), 'remote bytes');
  const localHash = createHash('sha256').update('precious bytes').digest('hex');
  await writeFile(corrupt, '');
  t.after(() => rm(corrupt, { force: true }));
  await assert.rejects(transport.putFile(join(dir, 'local.db'), join(dir, 'placed.db')), (error: DrbookError) => {
    assert.equal(error.kind, 'step');
    assert.ok(error.message.includes(`sha256 ${localHash} on this machine, ${'0'.repeat(64)} on the host`), error.message);
    return true;
  });
  await assert.rejects(transport.getFile(join(dir, 'remote.db'), join(dir, 'fetched.db')), /is corrupt: sha256 0{64} on the host, [0-9a-f]{64} on this machine/);
  assert.deepEqual((await readdir(dir)).sort(), ['local.db', 'remote.db'], 'no .part and no target left behind');
});

test('a timeout under sudo still kills the whole tree', async (t) => {
  const tag = `3005.${process.pid}`;
  t.after(() => killPidsMatching(tag));
  const result = await transport.exec({ command: sh`${raw(`sleep ${tag} & sleep ${tag}; wait`)}`, timeoutMs: 300 });
  assert.equal(result.timedOut, true);
  for (let i = 0; i < 30 && livePidsMatching(tag).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(livePidsMatching(tag), []);
  assert.ok(
    (await sudoCalls()).some((line) => /^-n -- sh -c kill -TERM/.test(line)),
    'the kill ran through sudo too',
  );
});

test('sudo wanting a password is an error that says so, never a hang', async (t) => {
  await writeFile(needPassword, '');
  t.after(() => rm(needPassword, { force: true }));
  await assert.rejects(transport.exec({ command: sh`id` }), (error: DrbookError) => {
    assert.equal(error.kind, 'input');
    assert.equal(error.host, 'm7');
    assert.match(error.message, /sudo .* wants a password .* non-interactively \(sudo -n\)/);
    assert.match(error.hint ?? '', /NOPASSWD/);
    return true;
  });
});
