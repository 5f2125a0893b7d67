// The transport pool over a real sshd on 127.0.0.66 plus the local host.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DrbookError } from '../../../src/core/errors.js';
import type { Host } from '../../../src/core/inventory.js';
import { sh } from '../../../src/shell/command.js';
import { createTransportPool } from '../../../src/transport/ssh/pool.js';
import { SshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { startSshd, type TestSshd } from '../../support/sshd.js';

let sshd: TestSshd;
let hosts: Host[];

before(async () => {
  sshd = await startSshd({ address: '127.0.0.66' });
  hosts = [{ name: 'local', connection: 'local', ssh: {}, vars: {}, groups: [] }, sshd.host('m1'), sshd.host('m2'), sshd.host('down', { port: 1 })];
});
after(() => sshd?.stop());

const options = { sshConfigFile: null, env: {} };

test('each host is opened once, in parallel, and reused; local hosts get the local transport', async (t) => {
  const pool = createTransportPool(hosts, options);
  t.after(() => pool.closeAll());
  const before = await sshd.countAcceptedConnections();
  const [a, b, again] = await Promise.all([pool.get('m1'), pool.get('m2'), pool.get('m1')]);
  assert.equal(a, again, 'the same transport for the same host');
  assert.notEqual(a, b);
  assert.equal(a.kind, 'ssh');
  assert.equal((await a.exec({ command: sh`echo m1` })).stdout, 'm1\n');
  assert.equal((await (await pool.get('m1')).exec({ command: sh`echo again` })).stdout, 'again\n');
  assert.deepEqual(pool.connectionCounts(), { m1: 1, m2: 1 });
  assert.equal((await sshd.countAcceptedConnections()) - before, 2);
  const local = await pool.get('local');
  assert.equal(local.kind, 'local');
  assert.equal((await local.exec({ command: sh`echo here` })).stdout, 'here\n');
});

test('an unknown host name is an input error', async (t) => {
  const pool = createTransportPool(hosts, options);
  t.after(() => pool.closeAll());
  await assert.rejects(pool.get('m9'), (error: DrbookError) => error.kind === 'input' && /no host named "m9"/.test(error.message));
});

test('a host that cannot be reached is not cached: asking again tries again', async (t) => {
  let created = 0;
  const pool = createTransportPool(hosts, {
    ...options,
    createTransport: (host) => (created++, new SshTransport(host, options)),
  });
  t.after(() => pool.closeAll());
  await assert.rejects(pool.get('down'), (error: DrbookError) => error.kind === 'unreachable' && error.host === 'down');
  await assert.rejects(pool.get('down'), (error: DrbookError) => error.kind === 'unreachable');
  assert.equal(created, 2);
  await assert.rejects(pool.openAll(['m1', 'down']), (error: DrbookError) => error.host === 'down');
  assert.deepEqual(pool.connectionCounts(), { m1: 1 }, 'the reachable host was opened all the same');
});

test('closeAll closes every transport', async () => {
  const pool = createTransportPool(hosts, options);
  const transport = await pool.get('m1');
  await pool.closeAll();
  await assert.rejects(transport.exec({ command: sh`true` }), /closed/);
});
