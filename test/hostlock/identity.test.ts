import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostIdentityOf, describeHost } from '../../src/hostlock/identity.js';
import { lockTargetsOf } from '../../src/hostlock/places.js';
import type { Host } from '../../src/core/inventory.js';

const ssh = (name: string, settings: Host['ssh'] = {}): Host => ({ name, connection: 'ssh', ssh: settings, vars: {}, groups: [] });
const local = (name: string, hostStateDir?: string): Host => ({ name, connection: 'local', ssh: {}, vars: {}, groups: [], ...(hostStateDir ? { hostStateDir } : {}) });

test('an SSH host is its address and port: readable key, name kept for messages', () => {
  const id = hostIdentityOf(ssh('node1', { address: '127.0.0.5', port: 22 }), '/var/lib/drbook', 'box');
  assert.deepEqual(id, { name: 'node1', key: 'ssh-127.0.0.5-22', where: '127.0.0.5:22' });
  assert.equal(describeHost(id), 'node1 (127.0.0.5:22)');
  assert.equal(hostIdentityOf(ssh('m1'), '/var/lib/drbook').key, 'ssh-m1-22', 'no address: the name is what ssh connects to');
  assert.equal(hostIdentityOf(ssh('M1.Example.COM'), '/d').key, 'ssh-m1.example.com-22', 'DNS names are case-insensitive');
});

test("two clusters' node1 are two hosts; two names for one address are one", () => {
  const a = hostIdentityOf(ssh('node1', { address: '127.0.230.11' }), '/var/lib/drbook');
  const b = hostIdentityOf(ssh('node1', { address: '127.0.231.11' }), '/var/lib/drbook');
  assert.notEqual(a.key, b.key);
  assert.equal(hostIdentityOf(ssh('alias', { address: '127.0.230.11' }), '/other').key, a.key, 'the state folder does not change which host it is');
  assert.notEqual(hostIdentityOf(ssh('node1', { address: '127.0.230.11', port: 2222 }), '/d').key, a.key, 'another port, another sshd');
});

test('behind a jump host the same address is another machine; odd addresses get a hash and stay file-name safe', () => {
  const direct = hostIdentityOf(ssh('n', { address: '10.0.0.5' }), '/d');
  const viaA = hostIdentityOf(ssh('n', { address: '10.0.0.5', proxyJump: 'bastion-a' }), '/d');
  const viaB = hostIdentityOf(ssh('n', { address: '10.0.0.5', proxyJump: 'bastion-b' }), '/d');
  assert.equal(new Set([direct.key, viaA.key, viaB.key]).size, 3);
  assert.match(viaA.key, /^ssh-10\.0\.0\.5-22-via-bastion-a-[0-9a-f]{8}$/);
  assert.equal(viaA.where, '10.0.0.5:22 via bastion-a');
  // An address that ends like a jump-host key does not collide with one.
  assert.notEqual(hostIdentityOf(ssh('n', { address: '10.0.0.5-22-via-bastion-a' }), '/d').key, viaA.key);
  const v6 = hostIdentityOf(ssh('n', { address: 'fe80::1%eth0' }), '/d');
  assert.equal(v6.where, '[fe80::1%eth0]:22');
  assert.match(v6.key, /^[A-Za-z0-9._-]+$/);
  assert.notEqual(v6.key, hostIdentityOf(ssh('n', { address: 'fe80::1%eth1' }), '/d').key);
  for (const key of [v6.key, viaA.key, hostIdentityOf(ssh('../../x'), '/d').key]) {
    assert.ok(!key.includes('/') && !key.includes('..'), key);
  }
});

test("a local host is this machine and its state folder: a local sandbox's nodes are folders", () => {
  const n1 = hostIdentityOf(local('node1'), '/tmp/a/node1/var/lib/drbook', 'box');
  const other = hostIdentityOf(local('node1'), '/tmp/b/node1/var/lib/drbook', 'box');
  assert.match(n1.key, /^local-box-[0-9a-f]{8}$/);
  assert.equal(n1.where, 'local, /tmp/a/node1/var/lib/drbook');
  assert.notEqual(n1.key, other.key, 'two sandboxes on one machine');
  assert.equal(hostIdentityOf(local('local'), '/tmp/a/node1/var/lib/drbook', 'box').key, n1.key, 'another name for the same folder');
  assert.notEqual(hostIdentityOf(local('node1'), '/tmp/a/node1/var/lib/drbook', 'laptop').key, n1.key, 'the same folder on another machine');
  assert.match(hostIdentityOf(local('x'), '/d', 'my box/€').key, /^local-my_box_-[0-9a-f]{8}-[0-9a-f]{8}$/);
});

test("lockTargetsOf: the state dir's run lock of each host, as hostStateDirOf places it", () => {
  const targets = lockTargetsOf([ssh('node1', { address: '127.0.230.11' }), local('node2', '/srv/n2')], '/home/op/.local/state/drbook');
  assert.deepEqual(targets[0], { name: 'node1', key: 'ssh-127.0.230.11-22', where: '127.0.230.11:22' });
  assert.equal(targets[1]!.name, 'node2');
  assert.equal(targets[1]!.key, hostIdentityOf(local('node2'), '/srv/n2').key);
});
