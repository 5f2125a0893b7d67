import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, type InputIssue } from '../../src/core/errors.js';
import { builtinInventory, loadInventory, parseInventory } from '../../src/inventory/load.js';
import { fixture } from '../runbook/helpers.js';

function issuesOf(text: string): InputIssue[] {
  try {
    parseInventory(text, 'inv.yaml');
  } catch (error) {
    assert.ok(error instanceof InputError, String(error));
    return error.issues;
  }
  assert.fail('expected the inventory to be invalid');
}

const show = (issues: InputIssue[]): string => issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`).join('\n');

test('merge: defaults < groups (in written order) < host, for ssh settings and vars', async () => {
  const inventory = await loadInventory(fixture('inventories', 'masters.yaml'));
  const { m1, m2, m3, bastion } = inventory.hosts;
  assert.deepEqual(m1!.ssh, { port: 22, user: 'admin', hostKeyChecking: 'strict', connectTimeoutMs: 10_000, identityFile: '~/.ssh/masters', become: true, address: '10.0.0.11' });
  assert.equal(m2!.ssh.user, 'ops'); // host beats defaults
  assert.equal(m3!.ssh.port, 2222); // dc-east (written after masters) beats defaults
  assert.equal(m3!.ssh.keepaliveIntervalMs, 15_000); // a bare number is seconds
  assert.deepEqual(m3!.groups, ['masters', 'dc-east']);
  assert.deepEqual(m1!.vars, { dataDir: '/var/lib/etcd', role: 'master', etcd: { name: 'm1', peerUrl: 'https://10.0.0.11:2380' } });
  assert.equal(m3!.vars.role, 'special-master'); // host var beats group var
  assert.equal(m3!.vars.zone, 'east');
  assert.equal(bastion!.vars.role, 'node'); // only defaults
  assert.equal(bastion!.ssh.become, undefined);
  assert.equal(m1!.connection, 'ssh');
  assert.deepEqual(inventory.groups, { all: ['m1', 'm2', 'm3', 'bastion'], masters: ['m1', 'm2', 'm3'], 'dc-east': ['m3'] });
  assert.match(inventory.sha256!, /^[0-9a-f]{64}$/);
});

test('the implicit host local always exists, with default vars but not remote ssh defaults', async () => {
  const inventory = await loadInventory(fixture('inventories', 'masters.yaml'));
  assert.deepEqual(inventory.hosts.local, { name: 'local', connection: 'local', ssh: {}, vars: { dataDir: '/var/lib/etcd', role: 'node' }, groups: [] });
  const nodes = await loadInventory(fixture('inventories', 'local-nodes.yaml'));
  assert.equal(nodes.hosts.node1!.connection, 'local');
  assert.deepEqual(nodes.hosts.local!.vars, { root: '/tmp/drbook-sandbox' });
  assert.deepEqual(nodes.groups.all, ['node1', 'node2']); // `local` is never in `all`
  assert.deepEqual(builtinInventory(), { hosts: { local: { name: 'local', connection: 'local', ssh: {}, vars: {}, groups: [] } }, groups: {} });
});

test('unknown keys, wrong types and bad references, each at file:line:col', () => {
  const issues = issuesOf(`apiVersion: drbook/v1
kind: Inventory
defaults:
  ssh:
    usr: root
    hostKeyChecking: maybe
groups:
  masters:
    hosts: [m1, m4]
    var: {}
  m1:
    hosts: []
  all: {}
hosts:
  m1:
    port: 70000
    connectTimeout: soon
  local:
    connection: ssh
`);
  const text = show(issues);
  assert.equal(issues.length, 9, text);
  assert.match(text, /^5:5 defaults\.ssh\.usr unknown key `usr` \(did you mean `user`\?\)$/m);
  assert.match(text, /^6:22 defaults\.ssh\.hostKeyChecking expected strict, accept-new or off, got a string \("maybe"\)$/m);
  assert.match(text, /^9:17 groups\.masters\.hosts\[1\] group `masters` lists `m4`, which is not under `hosts:` \(did you mean `m1`\?\)$/m);
  assert.match(text, /^10:5 groups\.masters\.var unknown key `var` \(did you mean `vars`\?\)$/m);
  assert.match(text, /^12:5 groups\.m1 `m1` is both a group and a host/m);
  assert.match(text, /^13:8 groups\.all `all` is reserved/m);
  assert.match(text, /^16:11 hosts\.m1\.port expected a port number \(1-65535\), got a number \(70000\)$/m);
  assert.match(text, /^17:21 hosts\.m1\.connectTimeout expected a duration/m);
  assert.match(text, /^19:17 hosts\.local\.connection `local` is this machine: its connection is always local$/m);
});

test('a missing hosts: and a wrong kind are named', () => {
  assert.match(show(issuesOf('apiVersion: drbook/v1\nkind: Inventory\n')), /hosts missing required key `hosts`/);
  assert.match(show(issuesOf('apiVersion: drbook/v1\nkind: Runbook\nsteps: []\n')), /this is a runbook/);
});

test('a host written with no settings is reachable by its name', () => {
  const inventory = parseInventory('apiVersion: drbook/v1\nkind: Inventory\nhosts:\n  m1:\n  m2: {}\n', 'i.yaml');
  assert.deepEqual(inventory.hosts.m1, { name: 'm1', connection: 'ssh', ssh: {}, vars: {}, groups: [] });
  assert.deepEqual(inventory.groups.all, ['m1', 'm2']);
});

test('hostStateDir: defaults < groups < host, not taken by the implicit local; a relative path is an error at its line', () => {
  const inventory = parseInventory(
    `apiVersion: drbook/v1
kind: Inventory
defaults: { hostStateDir: /var/lib/drbook-all }
groups:
  east: { hosts: [m2], hostStateDir: /srv/drbook }
hosts:
  m1: {}
  m2: {}
  m3: { hostStateDir: /opt/drbook }
`,
    'inv.yaml',
  );
  assert.deepEqual(
    ['m1', 'm2', 'm3', 'local'].map((h) => inventory.hosts[h]!.hostStateDir),
    ['/var/lib/drbook-all', '/srv/drbook', '/opt/drbook', undefined],
  );
  const issues = issuesOf('apiVersion: drbook/v1\nkind: Inventory\nhosts:\n  m1: { hostStateDir: var/lib/drbook }\n');
  assert.match(show(issues), /^4:\d+ hosts\.m1\.hostStateDir expected an absolute path/);
});
