// Connecting to a real sshd on 127.0.0.62: host key checking, ssh_config aliases,
// identity files with passphrases, ssh-agent, and the errors an operator meets.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { DrbookError } from '../../../src/core/errors.js';
import { sh } from '../../../src/shell/command.js';
import { fingerprintSha256, hashHostName } from '../../../src/transport/ssh/known-hosts.js';
import { SshTransport, type SshTransportOptions } from '../../../src/transport/ssh/ssh-transport.js';
import type { SshSettings } from '../../../src/core/inventory.js';
import { generateKey, makeSubdir, startSshd, type TestSshd } from '../../support/sshd.js';

let sshd: TestSshd;
let scratch: string;
const hostKey = () => Buffer.from(sshd.hostPublicKey.split(' ')[1]!, 'base64');
const name = () => `[${sshd.address}]:${sshd.port}`;

before(async () => {
  sshd = await startSshd({ address: '127.0.0.62' });
  scratch = await makeSubdir(sshd, 'scratch');
});
after(() => sshd?.stop());

/** Connect, run `echo ok`, close; resolves with the output or rejects with the connect error. */
async function tryConnect(settings: SshSettings, options: SshTransportOptions = {}): Promise<string> {
  const transport = new SshTransport(sshd.host('m', settings), { sshConfigFile: null, env: {}, ...options });
  try {
    return (await transport.exec({ command: sh`echo ok` })).stdout;
  } finally {
    await transport.close();
  }
}

test('an unknown host is refused, before authenticating, with its fingerprint and a hint', async () => {
  const knownHostsFile = join(scratch, 'empty_known_hosts');
  await writeFile(knownHostsFile, '');
  const accepted = await sshd.countAcceptedConnections();
  await assert.rejects(tryConnect(sshd.settings({ knownHostsFile })), (error: DrbookError) => {
    assert.equal(error.kind, 'input');
    assert.equal(error.host, 'm');
    assert.ok(error.message.includes(`${name()} is unknown`), error.message);
    assert.ok(error.message.includes(fingerprintSha256(hostKey())), error.message);
    assert.match(error.hint ?? '', /accept-new/);
    return true;
  });
  assert.equal(await sshd.countAcceptedConnections(), accepted, 'no login happened');
});

test('accept-new records the key, and the next strict connection accepts it', async () => {
  const knownHostsFile = join(scratch, 'accept_new_known_hosts');
  assert.equal(await tryConnect(sshd.settings({ knownHostsFile, hostKeyChecking: 'accept-new' })), 'ok\n');
  assert.equal(await readFile(knownHostsFile, 'utf8'), `${name()} ${sshd.hostPublicKey}\n`);
  assert.equal(await tryConnect(sshd.settings({ knownHostsFile, hostKeyChecking: 'strict' })), 'ok\n');
});

test('a changed host key is refused even with accept-new, showing both fingerprints and the line', async () => {
  const otherKey = join(scratch, 'other_host_key');
  generateKey(otherKey, 'ed25519');
  const other = (await readFile(`${otherKey}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
  const knownHostsFile = join(scratch, 'changed_known_hosts');
  await writeFile(knownHostsFile, `# old entry\n${name()} ${other}\n`);
  await assert.rejects(tryConnect(sshd.settings({ knownHostsFile, hostKeyChecking: 'accept-new' })), (error: DrbookError) => {
    assert.equal(error.kind, 'input');
    assert.match(error.message, /has CHANGED/);
    assert.ok(error.message.includes(fingerprintSha256(hostKey())), 'the key the server presents');
    assert.ok(error.message.includes(fingerprintSha256(Buffer.from(other.split(' ')[1]!, 'base64'))), 'the key on record');
    assert.ok(error.message.includes(`${knownHostsFile}:2`));
    return true;
  });
});

test('a hashed known_hosts entry is accepted', async () => {
  const knownHostsFile = join(scratch, 'hashed_known_hosts');
  await writeFile(knownHostsFile, `${hashHostName(name())} ${sshd.hostPublicKey}\n`);
  assert.equal(await tryConnect(sshd.settings({ knownHostsFile })), 'ok\n');
});

test('an ssh_config alias supplies HostName, Port, User, IdentityFile and UserKnownHostsFile', async () => {
  const config = join(scratch, 'ssh_config');
  await writeFile(config, `Host restore-m1\n  HostName ${sshd.address}\n  Port ${sshd.port}\n  User ${sshd.user}\n  IdentityFile ${sshd.userKeyFile}\n  UserKnownHostsFile ${sshd.knownHostsFile}\n`);
  const transport = new SshTransport({ name: 'restore-m1', connection: 'ssh', ssh: {}, vars: {}, groups: [] }, { sshConfigFile: config, env: {} });
  try {
    assert.equal(transport.target.address, sshd.address);
    assert.equal((await transport.exec({ command: sh`echo alias` })).stdout, 'alias\n');
  } finally {
    await transport.close();
  }
});

test('an encrypted identity file: passphrase from the named env var, clear errors without it', async () => {
  const key = join(scratch, 'id_encrypted');
  generateKey(key, 'ed25519', 'correct horse');
  await appendFile(join(sshd.dir, 'authorized_keys'), await readFile(`${key}.pub`));
  const settings = sshd.settings({ identityFile: key, passphraseEnv: 'DRBOOK_TEST_PASSPHRASE' });
  assert.equal(await tryConnect(settings, { env: { DRBOOK_TEST_PASSPHRASE: 'correct horse' }, auth: { prompt: null } }), 'ok\n');
  await assert.rejects(tryConnect(settings, { auth: { env: {}, prompt: null } }), /\$DRBOOK_TEST_PASSPHRASE \(passphraseEnv\) is not set/);
  await assert.rejects(tryConnect(settings, { auth: { env: { DRBOOK_TEST_PASSPHRASE: 'wrong' }, prompt: null } }), /does not decrypt identity file/);
  const noEnv = sshd.settings({ identityFile: key });
  await assert.rejects(tryConnect(noEnv, { auth: { env: {}, prompt: null } }), (error: DrbookError) => {
    assert.equal(error.kind, 'input');
    assert.match(error.message, /is encrypted, and there is no terminal to ask for its passphrase/);
    assert.match(error.hint ?? '', /passphraseEnv/);
    return true;
  });
});

test('without passphraseEnv, an injected prompt is asked once per key file, then remembered', async () => {
  const key = join(scratch, 'id_prompted');
  generateKey(key, 'ed25519', 'asked once');
  await appendFile(join(sshd.dir, 'authorized_keys'), await readFile(`${key}.pub`));
  const questions: string[] = [];
  const prompt = async (question: string) => (questions.push(question), 'asked once');
  assert.equal(await tryConnect(sshd.settings({ identityFile: key }), { auth: { env: {}, prompt } }), 'ok\n');
  assert.equal(await tryConnect(sshd.settings({ identityFile: key }), { auth: { env: {}, prompt } }), 'ok\n');
  assert.equal(questions.length, 1);
  assert.ok(questions[0]!.includes(key) && questions[0]!.includes('host m'), questions[0]);
});

test('ssh-agent is tried first: an encrypted key held by the agent needs no passphrase', async (t) => {
  const plain = join(scratch, 'id_agent');
  generateKey(plain, 'ed25519');
  const encrypted = join(scratch, 'id_agent_encrypted');
  await copyFile(plain, encrypted);
  await copyFile(`${plain}.pub`, `${encrypted}.pub`);
  execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'agent only', '-f', encrypted]);
  await appendFile(join(sshd.dir, 'authorized_keys'), await readFile(`${plain}.pub`));
  const socket = join(scratch, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  t.after(() => agent.kill('SIGTERM'));
  await waitFor(() =>
    execFileSync('sh', ['-c', `test -S ${socket} && echo yes || true`])
      .toString()
      .includes('yes'),
  );
  execFileSync('ssh-add', ['-q', plain], { env: { SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
  const env = { SSH_AUTH_SOCK: socket };
  assert.equal(await tryConnect(sshd.settings({ identityFile: encrypted }), { env, auth: { env, prompt: null } }), 'ok\n');
});

test('a key the server does not accept fails authentication, naming what was tried', async () => {
  const stranger = join(scratch, 'id_stranger');
  generateKey(stranger, 'ed25519');
  await assert.rejects(tryConnect(sshd.settings({ identityFile: stranger })), (error: DrbookError) => {
    assert.equal(error.kind, 'input');
    assert.match(error.message, /authentication to .* failed: tried identity file .*id_stranger/);
    return true;
  });
});

test('a closed port is unreachable', async () => {
  const free = await listenThenClose(sshd.address);
  await assert.rejects(tryConnect(sshd.settings({ port: free })), (error: DrbookError) => {
    assert.equal(error.kind, 'unreachable');
    assert.match(error.message, /connection refused/);
    return true;
  });
});

test('a server that never speaks SSH hits the connect timeout', async (t) => {
  const silent = createServer(() => {}); // accepts, says nothing
  await new Promise<void>((r) => silent.listen(0, sshd.address, r));
  t.after(() => silent.close());
  silent.on('connection', (socket) => t.after(() => socket.destroy()));
  const port = (silent.address() as { port: number }).port;
  const started = Date.now();
  await assert.rejects(tryConnect(sshd.settings({ port, connectTimeoutMs: 300 })), (error: DrbookError) => {
    assert.equal(error.kind, 'unreachable');
    assert.match(error.message, /no SSH handshake within 0\.3 s/);
    return true;
  });
  assert.ok(Date.now() - started < 5000);
});

async function listenThenClose(address: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, address, r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
}
