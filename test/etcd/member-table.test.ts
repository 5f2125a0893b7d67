// The member table of a multi-master restore, built from fake hosts (manifests as
// values, and one read through a fake transport): values and where they come from, and
// every inconsistency refused with the hosts named. The manifests' --initial-cluster
// lists are history (kubeadm writes a different one on every master): they are not
// compared, only their union is checked for a member no host covers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMemberTable, formatMemberTable, isConsistent, readMemberSource, type MemberSource } from '../../src/etcd/member-table.js';
import type { Host } from '../../src/inventory/types.js';
import { FakeTransport } from './helpers/context.js';

const CLUSTER = 'm1=https://10.0.0.11:2380,m2=https://10.0.0.12:2380,m3=https://10.0.0.13:2380';

function master(n: number, change: Partial<Record<string, string | undefined>> = {}, overrides: MemberSource['overrides'] = {}): MemberSource {
  const values = {
    name: `m${n}`,
    initialAdvertisePeerUrls: `https://10.0.0.1${n}:2380`,
    advertiseClientUrls: `https://10.0.0.1${n}:2379`,
    dataDir: '/var/lib/etcd',
    initialCluster: CLUSTER,
    ...change,
  };
  return { host: `host${n}`, overrides, manifest: { file: '/etc/kubernetes/manifests/etcd.yaml', values: values as Record<string, string> } };
}

const errors = (table: ReturnType<typeof buildMemberTable>) => table.findings.filter((f) => f.finding.level === 'error');

test('three consistent manifests give one member per host and the shared --initial-cluster', () => {
  const table = buildMemberTable([master(1), master(2), master(3)]);
  assert.deepEqual(errors(table), []);
  assert.ok(isConsistent(table));
  assert.equal(table.initialCluster, CLUSTER);
  assert.deepEqual(
    table.rows.map((r) => [r.host, r.name, r.peerUrls.join(','), r.clientUrl, r.dataDir, r.from.name]),
    [
      ['host1', 'm1', 'https://10.0.0.11:2380', 'https://10.0.0.11:2379', '/var/lib/etcd', 'manifest'],
      ['host2', 'm2', 'https://10.0.0.12:2380', 'https://10.0.0.12:2379', '/var/lib/etcd', 'manifest'],
      ['host3', 'm3', 'https://10.0.0.13:2380', 'https://10.0.0.13:2379', '/var/lib/etcd', 'manifest'],
    ],
  );
  const lines = formatMemberTable(table);
  assert.match(lines[0]!, /^HOST\s+MEMBER\s+PEER URL\s+CLIENT URL\s+DATA DIR$/);
  assert.match(lines[2]!, /^host2\s+m2\s+https:\/\/10\.0\.0\.12:2380\s+https:\/\/10\.0\.0\.12:2379\s+\/var\/lib\/etcd$/);
});

test('inventory values win over the manifest, and a host without a manifest is described by the inventory alone', () => {
  const noManifest: MemberSource = {
    host: 'host3',
    overrides: { name: 'm3', peerUrl: 'https://10.0.0.13:2380', clientUrl: 'https://10.0.0.13:2379', dataDir: '/data/etcd' },
    manifest: null,
  };
  const table = buildMemberTable([master(1, {}, { clientUrl: 'https://lb.example:2379' }), master(2), noManifest]);
  assert.deepEqual(errors(table), []);
  assert.equal(table.rows[0]!.clientUrl, 'https://lb.example:2379');
  assert.equal(table.rows[0]!.from.clientUrl, 'inventory');
  assert.equal(table.rows[2]!.dataDir, '/data/etcd');
  assert.match(formatMemberTable(table)[3]!, /m3 \(inventory\)/);
});

test('a host with neither manifest nor inventory values is an error naming the host and the var to set', () => {
  const table = buildMemberTable([master(1), { host: 'host2', overrides: {}, manifest: null, manifestProblem: 'etcd manifest x.yaml:3:1: not valid YAML' }]);
  const messages = errors(table).filter((f) => f.host === 'host2').map((f) => f.finding.message);
  assert.ok(messages.some((m) => /host2: no etcd member name: the inventory gives no etcdName and etcd manifest x\.yaml:3:1: not valid YAML/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /no etcd member peerUrl/.test(m)));
  assert.equal(isConsistent(table), false);
});

test('two hosts claiming one member name are refused, both named', () => {
  const table = buildMemberTable([master(1), master(2, { name: 'm1' }), master(3)]);
  const dup = errors(table).filter((f) => /member name m1 is claimed by host1, host2/.test(f.finding.message));
  assert.deepEqual(dup.map((f) => f.host).sort(), ['host1', 'host2']);
});

test('two hosts claiming one peer URL are refused (URL case and trailing slash do not hide it)', () => {
  const table = buildMemberTable([master(1), master(2, { initialAdvertisePeerUrls: 'HTTPS://10.0.0.11:2380/' }), master(3)]);
  assert.ok(errors(table).some((f) => /peer URL https:\/\/10\.0\.0\.11:2380 is claimed by host1, host2/.test(f.finding.message)));
});

test('a member in the manifests that no inventory host covers is refused', () => {
  // Only two of the three masters are in the inventory: m3 would never be restored.
  const table = buildMemberTable([master(1), master(2)]);
  const missing = errors(table).filter((f) => /member m3 \(https:\/\/10\.0\.0\.13:2380\) is listed .* no host in the inventory covers it/.test(f.finding.message));
  assert.deepEqual(missing.map((f) => f.host), ['host1', 'host2']);
});

test('manifests as kubeadm writes them (init: itself; each join: the members of that moment) make one table, refused for nothing', () => {
  // fixtures/kubeadm/joined-etcd.yaml: a joined master lists the members in etcd's order, not the join order.
  const table = buildMemberTable([
    master(1, { initialCluster: 'm1=https://10.0.0.11:2380' }),
    master(2, { initialCluster: 'm2=https://10.0.0.12:2380,m1=https://10.0.0.11:2380' }),
    master(3, { initialCluster: 'm3=https://10.0.0.13:2380,m1=https://10.0.0.11:2380,m2=https://10.0.0.12:2380' }),
  ]);
  assert.deepEqual(errors(table), []);
  assert.ok(isConsistent(table));
  assert.equal(table.initialCluster, CLUSTER, "every member restores with the hosts' own members, in inventory order");
  assert.deepEqual(table.findings.filter((f) => f.finding.level === 'warn'), []);
});

test('the union of the manifests\' lists still finds a member that no inventory host covers', () => {
  // Leaving out m1 (kubeadm init's master): the joined masters' manifests list it.
  const table = buildMemberTable([
    master(2, { initialCluster: 'm2=https://10.0.0.12:2380,m1=https://10.0.0.11:2380' }),
    master(3, { initialCluster: 'm3=https://10.0.0.13:2380,m1=https://10.0.0.11:2380,m2=https://10.0.0.12:2380' }),
  ]);
  const missing = errors(table).filter((f) => /member m1 \(https:\/\/10\.0\.0\.11:2380\) is listed in the etcd manifests' --initial-cluster \(host2, host3\) but no host in the inventory covers it/.test(f.finding.message));
  assert.deepEqual(missing.map((f) => f.host), ['host2', 'host3']);
  assert.equal(isConsistent(table), false);
});

test('a peer URL the inventory gives against the host\'s own manifest is refused; one only older manifests list is history, said but not refused', () => {
  const table = buildMemberTable([master(1), master(2), master(3, {}, { peerUrl: 'https://10.0.0.99:2380' })]);
  const messages = errors(table).map((f) => f.finding.message);
  assert.ok(messages.some((m) => /the inventory gives the peer URL https:\/\/10\.0\.0\.99:2380 but .* advertises https:\/\/10\.0\.0\.13:2380/.test(m)), messages.join('\n'));
  assert.equal(isConsistent(table), false);

  // m3 re-joined at a new address: host3's own manifest says .99, the others' history .13.
  const rejoined = buildMemberTable([master(1), master(2), master(3, { initialAdvertisePeerUrls: 'https://10.0.0.99:2380', initialCluster: 'm3=https://10.0.0.99:2380,m1=https://10.0.0.11:2380,m2=https://10.0.0.12:2380' })]);
  assert.deepEqual(errors(rejoined), []);
  assert.match(rejoined.initialCluster, /m3=https:\/\/10\.0\.0\.99:2380/);
  const warn = rejoined.findings.find((f) => f.finding.level === 'warn');
  assert.equal(warn?.host, 'host3');
  assert.match(warn!.finding.message, /once listed m3=https:\/\/10\.0\.0\.13:2380; the host's own manifest restores m3 with peer URL https:\/\/10\.0\.0\.99:2380, which is what counts/);
});

test('an inventory data dir that is not the one etcd runs with is refused', () => {
  const table = buildMemberTable([master(1, {}, { dataDir: '/var/lib/etcd/' }), master(2, {}, { dataDir: '/srv/etcd' }), master(3)]);
  const messages = errors(table);
  assert.deepEqual(messages.map((f) => f.host), ['host2']);
  assert.match(messages[0]!.finding.message, /dataDir \/srv\/etcd but .* --data-dir \/var\/lib\/etcd/);
});

test('readMemberSource reads the manifest from the stash when static-pods.stop has moved it', async () => {
  const yaml = `spec:\n  containers:\n  - command: [etcd, --name=m9, --data-dir=/d, --initial-advertise-peer-urls=https://h:2380, --initial-cluster=m9=https://h:2380]\n`;
  const transport = new FakeTransport(new Map([['/stash/etcd.yaml', Buffer.from(yaml)]]));
  const host: Host = { name: 'h9', connection: 'ssh', ssh: {}, vars: {}, groups: [] };
  const source = await readMemberSource({ transport, host }, { manifest: '/manifests/etcd.yaml', stashDir: '/stash', overrides: { name: '', clientUrl: 'https://h:2379' } });
  assert.equal(source.manifest?.file, '/stash/etcd.yaml');
  assert.deepEqual(source.overrides, { clientUrl: 'https://h:2379' }, 'empty values mean "not given"');
  const table = buildMemberTable([source]);
  assert.deepEqual(errors(table), []);
  assert.equal(table.initialCluster, 'm9=https://h:2380');

  const broken = new FakeTransport(new Map([['/manifests/etcd.yaml', Buffer.from('spec: [')]]));
  const failed = await readMemberSource({ transport: broken, host }, { manifest: '/manifests/etcd.yaml', overrides: {} });
  assert.equal(failed.manifest, null);
  assert.match(failed.manifestProblem ?? '', /not valid YAML/);
});

test('a table for the restore alone does not require the data dir', () => {
  const noDataDir = (n: number): MemberSource => ({ host: `host${n}`, overrides: { name: `m${n}`, peerUrl: `https://10.0.0.1${n}:2380` }, manifest: null });
  const sources = [noDataDir(1), noDataDir(2), noDataDir(3)];
  assert.ok(errors(buildMemberTable(sources)).every((f) => /no etcd member dataDir/.test(f.finding.message)));
  assert.equal(errors(buildMemberTable(sources)).length, 3);
  assert.deepEqual(errors(buildMemberTable(sources, { required: ['name', 'peerUrl'] })), []);
});
