// The one sshd launcher (used by `sandbox up --ssh` and test/support/sshd.ts): a server
// that cannot start is reported with its log's own words; stop ends the server and
// every session it forked. Address 127.0.55.41 is used by no other test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { SandboxError } from '../../src/errors.js';
import { listDescendants } from '../../src/processes.js';
import { isProcessAlive } from '@drbook/system';
import { generateKeyPair, knownHostsLine, readPublicKey } from '../../src/ssh/keys.js';
import { renderSshdConfig } from '../../src/ssh/sshd-config.js';
import { isSshdOf, launchSshd, stopSshd } from '../../src/ssh/sshd-process.js';

const ADDRESS = '127.0.55.41';
const PORT = 2241;

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-sshd-proc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('an sshd that refuses its config fails the launch with the reason from its log', async (t) => {
  const dir = await tempDir(t);
  const configFile = join(dir, 'sshd_config');
  await writeFile(configFile, `ListenAddress ${ADDRESS}:${PORT}\nNoSuchOption yes\n`);
  await assert.rejects(
    launchSshd({ configFile, logFile: join(dir, 'sshd.log'), label: 'node9' }),
    (error: SandboxError) => error.kind === 'step' && /sshd of node9 exited at start/.test(error.message) && /NoSuchOption/.test(error.message) && error.hint === `read ${join(dir, 'sshd.log')}`,
  );
});

test('stop ends the server and the session (and its command) it forked', async (t) => {
  const dir = await tempDir(t);
  const hostKey = join(dir, 'host');
  const userKey = join(dir, 'user');
  generateKeyPair(hostKey, 'ed25519');
  generateKeyPair(userKey, 'ed25519');
  await writeFile(join(dir, 'authorized_keys'), readPublicKey(`${userKey}.pub`) + '\n');
  await writeFile(join(dir, 'known_hosts'), knownHostsLine(ADDRESS, PORT, readPublicKey(`${hostKey}.pub`)) + '\n');
  const configFile = join(dir, 'sshd_config');
  await writeFile(configFile, renderSshdConfig({ address: ADDRESS, port: PORT, hostKeys: [hostKey], authorizedKeysFile: join(dir, 'authorized_keys'), pidFile: join(dir, 'sshd.pid') }));
  const { pid } = await launchSshd({ configFile, logFile: join(dir, 'sshd.log') });
  t.after(() => stopSshd(pid).then(() => undefined));
  assert.ok(isSshdOf(pid, configFile));
  assert.equal(isSshdOf(pid, join(dir, 'other_config')), false, 'another config is another server');

  const client = execa(
    'ssh',
    [
      '-F',
      '/dev/null',
      '-i',
      userKey,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-p',
      String(PORT),
      `${userInfo().username}@${ADDRESS}`,
      'echo $$; exec sleep 300',
    ],
    { reject: false, buffer: false },
  );
  const remotePid = await new Promise<number>((resolve) => client.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  assert.ok(listDescendants(pid).includes(remotePid), 'the session command is a descendant of the server');

  const report = await stopSshd(pid);
  assert.deepEqual(report.stillAlive, []);
  assert.ok(report.stopped.includes(pid) && report.stopped.includes(remotePid));
  assert.equal(isProcessAlive(pid), false);
  assert.equal(isProcessAlive(remotePid), false);
  await client;
});
