// Layout discovery on hosts made of real files (fixtures at the paths real hosts keep them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discoverEtcdMember, type EtcdLayoutDiscovery } from '../../src/etcd/layout-discovery.js';
import { expandExecStart, mergeServiceEnvironment, parseEnvironmentFile, parseServiceUnit, splitWords } from '../../src/etcd/systemd-unit.js';
import { fakeHost, fixtureText } from './helpers/fake-host.js';

const ELF = { text: '\x7fELF\x02\x01\x01' };
const SCRIPT = { text: '#!/bin/bash\n/usr/bin/docker run --env-file=/etc/etcd.env ...\n' };

function ok(result: EtcdLayoutDiscovery) {
  if (!result.ok) assert.fail(result.problem);
  return result.facts;
}

test('kubeadm: found in /etc/kubernetes/manifests, and in the stash once static-pods.stop moved it', async () => {
  const placed = fakeHost({ '/etc/kubernetes/manifests/etcd.yaml': 'manifests/kubeadm-join-etcd.yaml' });
  const f = ok(await discoverEtcdMember(placed));
  assert.equal(f.layout, 'kubeadm');
  assert.equal(f.name, 'kube-master3');
  assert.equal(f.manifestFile, '/etc/kubernetes/manifests/etcd.yaml');
  const stashed = fakeHost({ '/var/lib/drbook/stash/etcd.yaml': 'manifests/kubeadm-init-etcd.yaml' });
  const g = ok(await discoverEtcdMember(stashed, { stashDir: '/var/lib/drbook/stash' }));
  assert.equal(g.manifestFile, '/var/lib/drbook/stash/etcd.yaml');
  assert.equal(g.name, 'controlplane');
});

test('RKE2: the pod manifest under agent/pod-manifests and the config file read at the host path its volume names', async () => {
  const host = fakeHost({
    '/var/lib/rancher/rke2/agent/pod-manifests/etcd.yaml': 'manifests/rke2-etcd.yaml',
    '/var/lib/rancher/rke2/server/db/etcd/config': 'etcd-config/rke2-etcd-config.yaml',
  });
  const f = ok(await discoverEtcdMember(host));
  assert.equal(f.layout, 'rke2');
  assert.equal(f.name, 'k8s-node1-edb7e47e');
  assert.equal(f.hostDataDir, '/var/lib/rancher/rke2/server/db/etcd');
  const missing = await discoverEtcdMember(fakeHost({ '/var/lib/rancher/rke2/agent/pod-manifests/etcd.yaml': 'manifests/rke2-etcd.yaml' }));
  assert.equal(missing.ok, false);
  assert.match(
    (missing as { problem: string }).problem,
    /^unsupported layout: etcd is configured by \S+etcd\.yaml with --config-file=\S+ \(\/var\/lib\/rancher\/rke2\/server\/db\/etcd\/config does not exist on fake\)/,
  );
});

test('kubespray: etcd.service + /etc/etcd.env; the version from the binary (an ELF), the owner ids from `id`', async () => {
  const host = fakeHost(
    { '/etc/systemd/system/etcd.service': 'etcd-config/kubespray-etcd.service', '/etc/etcd.env': 'etcd-config/kubespray-etcd.env', '/usr/local/bin/etcd': ELF },
    { '/usr/local/bin/etcd --version': { stdout: 'etcd Version: 3.6.14\nGit SHA: abc\n' }, 'id -u -- root && id -g -- root': { stdout: '0\n0\n' } },
  );
  const f = ok(await discoverEtcdMember(host));
  assert.equal(f.layout, 'systemd');
  assert.equal(f.configuredBy, 'systemd unit etcd.service (/etc/systemd/system/etcd.service) with /etc/etcd.env (kubespray)');
  assert.equal(f.name, 'etcd2');
  assert.deepEqual(f.peerUrls, ['https://10.0.0.12:2380']);
  assert.deepEqual(f.clientUrls, ['https://10.0.0.12:2379']);
  assert.equal(f.hostDataDir, '/var/lib/etcd');
  assert.equal(f.initialClusterState, 'existing');
  assert.equal(f.initialClusterToken, 'k8s_etcd');
  assert.equal(f.origin.name, 'ETCD_NAME in /etc/etcd.env');
  assert.equal(f.quota.bytes, 2147483648);
  assert.equal(f.quota.isDefault, false, 'kubespray writes the quota explicitly');
  assert.equal(f.tls.certFile, '/etc/ssl/etcd/ssl/member-node2.pem');
  assert.deepEqual({ user: f.owner.user, uid: f.owner.uid, gid: f.owner.gid }, { user: 'root', uid: 0, gid: 0 });
  assert.deepEqual(f.version, { version: '3.6.14', from: '/usr/local/bin/etcd --version' });
  assert.equal(f.binary, '/usr/local/bin/etcd');
  assert.deepEqual(f.client, {
    caFile: '/etc/ssl/etcd/ssl/ca.pem',
    certFile: '/etc/ssl/etcd/ssl/admin-node2.pem',
    keyFile: '/etc/ssl/etcd/ssl/admin-node2-key.pem',
    from: 'ETCDCTL_CACERT/CERT/KEY in /etc/etcd.env',
  });
});

test("kubespray's docker mode: the unit starts a wrapper script; it is never run to ask its version", async () => {
  const host = fakeHost(
    { '/etc/systemd/system/etcd.service': 'etcd-config/kubespray-etcd.service', '/etc/etcd.env': 'etcd-config/kubespray-etcd-found.env', '/usr/local/bin/etcd': SCRIPT },
    { 'id -u': { stdout: '0\n0\n' } },
  );
  const f = ok(await discoverEtcdMember(host));
  assert.equal(f.version, undefined);
  assert.ok(
    f.notes.some((n) => /not an ELF executable/.test(n)),
    f.notes.join('\n'),
  );
  assert.ok(!host.commands.some((c) => c.includes('--version')), host.commands.join('\n'));
  // The env file as found on a real host: a later duplicate wins, the 8 GiB quota is read.
  assert.equal(f.quota.bytes, 8589934592);
  assert.equal(f.name, 'etcd1');
});

test("Debian's etcd-server unit: Environment= defaults, %H as the host name, EnvironmentFile=-/etc/default/%p, User=etcd", async () => {
  const host = fakeHost(
    { '/lib/systemd/system/etcd.service': 'etcd-config/debian-etcd.service', '/etc/default/etcd': 'etcd-config/debian-etcd.default', '/usr/bin/etcd': ELF },
    { 'uname -n': { stdout: 'master-1\n' }, '/usr/bin/etcd --version': { stdout: 'etcd Version: 3.4.23\n' }, 'id -u -- etcd && id -g -- etcd': { stdout: '106\n112\n' } },
  );
  const f = ok(await discoverEtcdMember(host));
  assert.equal(f.name, 'master-1');
  assert.equal(f.origin.name, 'ETCD_NAME in the Environment= of /lib/systemd/system/etcd.service');
  assert.equal(f.hostDataDir, '/var/lib/etcd/default');
  assert.deepEqual({ user: f.owner.user, uid: f.owner.uid, gid: f.owner.gid }, { user: 'etcd', uid: 106, gid: 112 });
  assert.deepEqual(f.peerUrls, ['http://localhost:2380'], "etcd's default, named in the notes");
  assert.ok(f.notes.some((n) => /advertises http:\/\/localhost:2380/.test(n)));
  assert.equal(f.version?.version, '3.4.23');
});

test('a drop-in overrides the main unit (ExecStart reset, then set; a later Environment wins)', async () => {
  const host = fakeHost(
    {
      '/lib/systemd/system/etcd.service': 'etcd-config/debian-etcd.service',
      '/etc/systemd/system/etcd.service.d': 'dir',
      '/etc/systemd/system/etcd.service.d/10-cluster.conf': {
        text: '[Service]\nEnvironment="ETCD_DATA_DIR=/srv/etcd"\nExecStart=\nExecStart=/usr/bin/etcd --name=${NODE} --initial-advertise-peer-urls https://10.1.0.5:2380 $DAEMON_ARGS\nEnvironment=NODE=n5 DAEMON_ARGS="--advertise-client-urls=https://10.1.0.5:2379"\n',
      },
      '/usr/bin/etcd': ELF,
    },
    { 'uname -n': { stdout: 'h\n' }, '/usr/bin/etcd --version': { stdout: 'etcd Version: 3.4.23\n' }, 'id -u': { stdout: '106\n112\n' } },
  );
  const f = ok(await discoverEtcdMember(host));
  assert.equal(f.name, 'n5');
  assert.equal(f.origin.name, '--name in the ExecStart of /etc/systemd/system/etcd.service.d/10-cluster.conf');
  assert.equal(f.origin.dataDir, 'ETCD_DATA_DIR in the Environment= of /etc/systemd/system/etcd.service.d/10-cluster.conf');
  assert.equal(f.hostDataDir, '/srv/etcd');
  assert.deepEqual(f.peerUrls, ['https://10.1.0.5:2380']);
  assert.deepEqual(f.clientUrls, ['https://10.1.0.5:2379']);
  assert.deepEqual(f.files.slice(0, 2), ['/lib/systemd/system/etcd.service', '/etc/systemd/system/etcd.service.d/10-cluster.conf']);
});

test('unsupported layouts are refused by name: k3s, an ExecStart through a shell, a required EnvironmentFile that is missing, nothing at all', async () => {
  const k3s = await discoverEtcdMember(fakeHost({ '/var/lib/rancher/k3s/server/db/etcd/config': 'etcd-config/k3s-etcd-config.yaml' }));
  assert.match((k3s as { problem: string }).problem, /^unsupported layout: etcd is configured by k3s \(embedded in the k3s server process/);
  const shell = await discoverEtcdMember(fakeHost({ '/etc/systemd/system/etcd.service': { text: '[Service]\nExecStart=/bin/sh -c "exec /usr/bin/etcd --name x"\n' } }));
  assert.match((shell as { problem: string }).problem, /^unsupported layout: etcd is configured by systemd unit etcd\.service, whose ExecStart runs \/bin\/sh/);
  const env = await discoverEtcdMember(fakeHost({ '/etc/systemd/system/etcd.service': 'etcd-config/kubespray-etcd.service' }));
  assert.match((env as { problem: string }).problem, /its EnvironmentFile \/etc\/etcd\.env cannot be read on fake: ENOENT/);
  const none = await discoverEtcdMember(fakeHost({}));
  assert.match((none as { problem: string }).problem, /^no etcd found on fake: none of \/etc\/kubernetes\/manifests\/etcd\.yaml, \/var\/lib\/rancher\/rke2/);
});

test('a static pod and a systemd unit on one host: the static pod is used, the unit is reported', async () => {
  const host = fakeHost({ '/etc/kubernetes/manifests/etcd.yaml': 'manifests/kubeadm-init-etcd.yaml', '/lib/systemd/system/etcd.service': 'etcd-config/debian-etcd.service' });
  const result = await discoverEtcdMember(host);
  assert.equal(result.ok && result.facts.layout, 'kubeadm');
  assert.deepEqual(result.alsoFound, ['systemd unit etcd.service (/lib/systemd/system/etcd.service)']);
});

test('systemd syntax: words and quotes, env files (comments, quotes, later wins), $VAR and ${VAR} in ExecStart', () => {
  assert.deepEqual(splitWords(`a "b c" 'd e'f g`), ['a', 'b c', 'd ef', 'g']);
  const env = parseEnvironmentFile(fixtureText('etcd-config/kubespray-etcd-found.env'));
  assert.equal(env.ETCD_AUTO_COMPACTION_RETENTION, '1');
  assert.equal(env.ETCD_QUOTA_BACKEND_BYTES, '8589934592');
  assert.equal(parseEnvironmentFile('A="x y"\n; c\n# d\nB=\'z\'\n').A, 'x y');
  const service = parseServiceUnit([{ file: 'u', text: '[Service]\nEnvironment=A=1 "B=two words"\nEnvironmentFile=-/etc/default/%p\nExecStart=-/usr/bin/etcd $ARGS --x=${B}\n' }], {
    unit: 'etcd.service',
  });
  assert.deepEqual(service.environmentFiles, [{ path: '/etc/default/etcd', optional: true }]);
  const merged = mergeServiceEnvironment(service, [{ path: '/etc/default/etcd', env: { A: 'from-file', ARGS: '--a=1 --b=2' } }]);
  assert.equal(merged.env.A, 'from-file', 'EnvironmentFile= overrides Environment=');
  assert.deepEqual(merged.origin, { A: '/etc/default/etcd', B: 'the Environment= of u', ARGS: '/etc/default/etcd' });
  assert.deepEqual(expandExecStart(service.execStart!, merged.env), ['/usr/bin/etcd', '--a=1', '--b=2', '--x=two words']);
  const unknown = parseServiceUnit([{ file: 'u', text: '[Service]\nEnvironment=ETCD_NAME=%m\n' }], { unit: 'etcd.service' });
  assert.match(unknown.problems[0]!, /^u:2: the systemd specifier %m is not one drbook resolves/);
});
