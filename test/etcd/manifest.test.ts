import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DrbookError } from '../../src/core/errors.js';
import { parseEtcdManifest, parseFlags, parseInitialCluster, readEtcdManifest } from '../../src/etcd/manifest.js';
import { FakeTransport } from './helpers/context.js';
import { KUBEADM_ETCD_YAML } from './helpers/manifests.js';

test('parseEtcdManifest extracts the member and TLS flags of a kubeadm manifest', () => {
  const m = parseEtcdManifest(KUBEADM_ETCD_YAML, '/etc/kubernetes/manifests/etcd.yaml');
  assert.deepEqual(m.values, {
    name: 'm1',
    dataDir: '/var/lib/etcd',
    initialAdvertisePeerUrls: 'https://10.0.0.11:2380',
    initialCluster: 'm1=https://10.0.0.11:2380',
    advertiseClientUrls: 'https://10.0.0.11:2379',
    listenClientUrls: 'https://127.0.0.1:2379,https://10.0.0.11:2379',
    trustedCaFile: '/etc/kubernetes/pki/etcd/ca.crt',
    certFile: '/etc/kubernetes/pki/etcd/server.crt',
    keyFile: '/etc/kubernetes/pki/etcd/server.key',
    clientCertAuth: 'true',
    listenPeerUrls: 'https://10.0.0.11:2380',
    peerCertFile: '/etc/kubernetes/pki/etcd/peer.crt',
  });
  assert.equal(m.flags['client-cert-auth'], 'true');
  assert.equal(m.pod.image, 'registry.k8s.io/etcd:3.5.10-0');
  assert.equal(m.pod.imageTag, '3.5.10-0');
});

test('flags in args and in the "--flag value" form are read too', () => {
  const m = parseEtcdManifest('spec:\n  containers:\n  - command: [etcd]\n    args: ["--name", "x", "--data-dir=/d", "--debug"]\n', 'f.yaml');
  assert.equal(m.values.name, 'x');
  assert.equal(m.values.dataDir, '/d');
  assert.equal(m.flags.debug, '');
  assert.deepEqual(parseFlags(['--a=1', '-b', '2', '--c']), { a: '1', b: '2', c: '' });
});

test('broken YAML is reported with file:line:col', () => {
  assert.throws(
    () => parseEtcdManifest('spec:\n  containers: [\n  - a\n', '/m/etcd.yaml', 'm1'),
    (error: unknown) => error instanceof DrbookError && /^etcd manifest \/m\/etcd\.yaml:\d+:\d+: not valid YAML/.test(error.message) && error.host === 'm1',
  );
});

test('a manifest without containers or command says what was expected, and where', () => {
  assert.throws(() => parseEtcdManifest('kind: Pod\nspec: {}\n', '/m/etcd.yaml'), /etcd manifest \/m\/etcd\.yaml: expected a pod with spec\.containers/);
  assert.throws(() => parseEtcdManifest('spec:\n  containers:\n  - name: etcd\n    image: x\n', '/m/etcd.yaml'), /etcd manifest \/m\/etcd\.yaml:3:5: spec\.containers\[0\] has no command/);
  assert.throws(() => parseEtcdManifest('spec:\n  containers:\n  - command: etcd --name=x\n', '/m/etcd.yaml'), /\/m\/etcd\.yaml:3:14: expected spec\.containers\[0\]\.command\/args to be a list/);
});

test('readEtcdManifest looks in the stash when the manifest was moved there', async () => {
  const files = new Map<string, Buffer | 'dir'>([['/stash/etcd.yaml', Buffer.from(KUBEADM_ETCD_YAML)]]);
  const transport = new FakeTransport(files);
  const found = await readEtcdManifest(transport, '/etc/kubernetes/manifests/etcd.yaml', '/stash');
  assert.equal(found?.where, 'stash');
  assert.equal(found?.manifest.file, '/stash/etcd.yaml');
  assert.equal(found?.manifest.values.name, 'm1');
  assert.equal(await readEtcdManifest(transport, '/etc/kubernetes/manifests/etcd.yaml'), null);
});

test('parseInitialCluster splits members', () => {
  assert.deepEqual(parseInitialCluster('a=https://1:2380, b=https://2:2380'), [
    { name: 'a', peerUrl: 'https://1:2380' },
    { name: 'b', peerUrl: 'https://2:2380' },
  ]);
});
