// ProxyJump through a second real sshd: bastion on 127.0.0.64, target on 127.0.0.65.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DrbookError } from '../../../src/core/errors.js';
import type { Host } from '../../../src/core/inventory.js';
import { sh } from '../../../src/shell/command.js';
import { SshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { killPidsMatching, listDescendants, makeSubdir, startSshd, type TestSshd } from '../../support/sshd.js';

let bastion: TestSshd;
let target: TestSshd;

before(async () => {
  [bastion, target] = await Promise.all([startSshd({ address: '127.0.0.64' }), startSshd({ address: '127.0.0.65' })]);
});
after(async () => {
  await Promise.all([bastion?.stop(), target?.stop()]);
});

test('a target behind an inventory jump host: one login on each, commands and files work', async (t) => {
  const hosts: Record<string, Host> = { bastion: bastion.host('bastion'), db: target.host('db', { proxyJump: 'bastion' }) };
  const transport = new SshTransport(hosts.db!, { sshConfigFile: null, env: {}, findHost: (name) => hosts[name] });
  t.after(() => transport.close());
  const [viaBastion, atTarget] = [await bastion.countAcceptedConnections(), await target.countAcceptedConnections()];
  const result = await transport.exec({ command: sh`echo through; hostname >/dev/null` });
  assert.equal(result.stdout, 'through\n');
  assert.equal((await transport.stat('/'))?.type, 'dir');
  assert.equal((await bastion.countAcceptedConnections()) - viaBastion, 1, 'logged in on the bastion');
  assert.equal((await target.countAcceptedConnections()) - atTarget, 1, 'and on the target');
  assert.equal(transport.connectionsOpened, 1);
});

test('a user@host:port jump spec checks the bastion key against the inherited known_hosts file', async (t) => {
  const dir = await makeSubdir(target, 'jump-spec');
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, `${bastion.knownHostsLine}\n${target.knownHostsLine}\n`);
  // The bastion is reached with the target's key (inherited), so it must accept that key too.
  await appendFile(join(bastion.dir, 'authorized_keys'), await readFile(`${target.userKeyFile}.pub`));
  const spec = `${bastion.user}@${bastion.address}:${bastion.port}`;
  const transport = new SshTransport(target.host('db', { proxyJump: spec, knownHostsFile }), { sshConfigFile: null, env: {} });
  t.after(() => transport.close());
  assert.equal((await transport.exec({ command: sh`echo spec` })).stdout, 'spec\n');

  // Without the bastion's key on record, the jump itself is refused, naming the bastion.
  await writeFile(knownHostsFile, `${target.knownHostsLine}\n`);
  const refused = new SshTransport(target.host('db', { proxyJump: spec, knownHostsFile }), { sshConfigFile: null, env: {} });
  t.after(() => refused.close());
  await assert.rejects(refused.connect(), (error: DrbookError) => {
    assert.equal(error.kind, 'input');
    assert.equal(error.host, spec);
    assert.match(error.message, new RegExp(`\\[${bastion.address.replace(/\./g, '\\.')}\\]:${bastion.port} is unknown`));
    return true;
  });
});

test('a target the jump host cannot reach is unreachable, and the message names the jump host', async (t) => {
  const hosts: Record<string, Host> = { bastion: bastion.host('bastion'), gone: target.host('gone', { proxyJump: 'bastion', port: 1 }) };
  const transport = new SshTransport(hosts.gone!, { sshConfigFile: null, env: {}, findHost: (name) => hosts[name] });
  t.after(() => transport.close());
  await assert.rejects(transport.connect(), (error: DrbookError) => {
    assert.equal(error.kind, 'unreachable');
    assert.equal(error.host, 'gone');
    assert.match(error.message, /jump host bastion could not open a connection to 127\.0\.0\.65:1/);
    return true;
  });
});

test('losing the jump host makes the target unreachable', async (t) => {
  const hosts: Record<string, Host> = { bastion: bastion.host('bastion'), db: target.host('db', { proxyJump: 'bastion' }) };
  const transport = new SshTransport(hosts.db!, { sshConfigFile: null, env: {}, findHost: (name) => hosts[name] });
  t.after(() => transport.close());
  await transport.connect();
  // Nobody can reach the target's process once the path is gone: clean it up by its unique argument.
  const tag = `30.${process.pid}${Date.now() % 100000}`;
  t.after(() => killPidsMatching(tag));
  const running = transport.exec({ command: sh`sleep ${tag}` });
  await new Promise((r) => setTimeout(r, 200));
  for (const pid of listDescendants(bastion.pid)) {
    try {
      process.kill(pid, 'SIGKILL'); // the bastion's session processes, by PID
    } catch {
      // gone
    }
  }
  await assert.rejects(running, (error: DrbookError) => error.kind === 'unreachable' && error.host === 'db');
});
