// Unit tests of the pieces of a sandbox sshd that need no running server: its config,
// known_hosts lines, the session PATH, the port choice (real binds on 127.0.55.3x).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { generateKeyPair, knownHostsLine, readPublicKey } from '../../src/ssh/keys.js';
import { renderSshdConfig } from '../../src/ssh/sshd-config.js';
import { sessionPath } from '../../src/ssh/files.js';
import { SANDBOX_SSH_FALLBACK_PORT, chooseSshPort } from '../../src/ssh/port.js';
import { SSHD_BINARY } from '../../src/ssh/sshd-process.js';
import { sshCommandOf, inventorySshFieldsOf } from '../../src/ssh/access.js';

test('known_hosts lines follow OpenSSH: plain address on port 22, [address]:port otherwise', () => {
  assert.equal(knownHostsLine('127.0.55.11', 22, 'ssh-ed25519 AAAA'), '127.0.55.11 ssh-ed25519 AAAA');
  assert.equal(knownHostsLine('127.0.55.11', 2222, 'ssh-ed25519 AAAA'), '[127.0.55.11]:2222 ssh-ed25519 AAAA');
});

test('the rendered sshd_config is accepted by sshd -t and says what the sandbox needs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-sshd-cfg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  generateKeyPair(join(dir, 'host'), 'ed25519');
  assert.match(readPublicKey(join(dir, 'host.pub')), /^ssh-ed25519 [A-Za-z0-9+/=]+$/);
  const text = renderSshdConfig({
    address: '127.0.55.31',
    port: 2222,
    hostKeys: [join(dir, 'host')],
    authorizedKeysFile: join(dir, 'ak'),
    pidFile: join(dir, 'pid'),
    path: '/opt/my tools/bin:/usr/bin',
  });
  assert.match(text, /^ListenAddress 127\.0\.55\.31:2222$/m);
  assert.match(text, /^PermitRootLogin prohibit-password$/m);
  assert.match(text, /^StrictModes no$/m);
  assert.match(text, /^PasswordAuthentication no$/m);
  assert.match(text, /^SetEnv SHLVL=1 "PATH=\/opt\/my tools\/bin:\/usr\/bin"$/m);
  const file = join(dir, 'sshd_config');
  await writeFile(file, text);
  execFileSync(SSHD_BINARY, ['-t', '-f', file]); // throws on a config sshd refuses
  assert.throws(() => renderSshdConfig({ address: 'a', port: 1, hostKeys: [], authorizedKeysFile: 'x', pidFile: 'y', path: '/bad"quote' }), /cannot be written/);
});

test('the session PATH keeps absolute entries sshd_config can carry, once each', () => {
  assert.equal(sessionPath('/usr/bin:relative:/usr/bin:/with"quote:/bin'), '/usr/bin:/bin');
  assert.equal(sessionPath(''), undefined);
});

function listen(address: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => resolve(server));
  });
}

test('port: 22 when free on every node address, the fixed fallback when one is taken, --ssh-port only when free', async (t) => {
  const addresses = ['127.0.55.31', '127.0.55.32'];
  if (process.getuid?.() === 0) assert.equal(await chooseSshPort(addresses), 22);
  const blocker = await listen('127.0.55.32', 22).catch(() => undefined); // non-root cannot bind 22: the fallback anyway
  t.after(() => blocker?.close());
  assert.equal(await chooseSshPort(addresses), SANDBOX_SSH_FALLBACK_PORT);

  assert.equal(await chooseSshPort(addresses, 2299), 2299);
  const taken = await listen('127.0.55.31', 2299);
  t.after(() => taken.close());
  await assert.rejects(chooseSshPort(addresses, 2299), /--ssh-port: port 2299 on 127\.0\.55\.31 is in use/);
  await assert.rejects(chooseSshPort(addresses, 70000), /expected a port number/);
});

test('the printed ssh command and the inventory fields use the same key, known_hosts and port, strictly', () => {
  const access = { user: 'root', port: 2222, identityFile: '/s/ssh/id_ed25519', knownHostsFile: '/s/ssh/known_hosts' };
  assert.equal(sshCommandOf(access, '127.0.55.12'), 'ssh -i /s/ssh/id_ed25519 -o IdentitiesOnly=yes -o UserKnownHostsFile=/s/ssh/known_hosts -o StrictHostKeyChecking=yes -p 2222 root@127.0.55.12');
  assert.deepEqual(inventorySshFieldsOf(access, '127.0.55.12'), {
    connection: 'ssh',
    address: '127.0.55.12',
    port: 2222,
    user: 'root',
    identityFile: '/s/ssh/id_ed25519',
    knownHostsFile: '/s/ssh/known_hosts',
    hostKeyChecking: 'strict',
  });
});
