import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApiServerFlags } from '../../src/apiserver/flags.js';
import { SandboxInputError } from '../../src/errors.js';

const base = [
  '--advertise-address=127.0.0.11',
  '--etcd-servers=https://127.0.0.11:2379',
  '--etcd-cafile=/n/pki/etcd/ca.crt',
  '--etcd-certfile=/n/pki/apiserver-etcd-client.crt',
  '--etcd-keyfile=/n/pki/apiserver-etcd-client.key',
  '--tls-cert-file=/n/pki/apiserver.crt',
  '--tls-private-key-file=/n/pki/apiserver.key',
  '--client-ca-file=/n/pki/ca.crt',
];

test('kubeadm-style flags map to the config; unknown flags are ignored; defaults apply', () => {
  const config = parseApiServerFlags([...base, '--allow-privileged=true', '--authorization-mode=Node,RBAC', '--enable-admission-plugins', 'NodeRestriction']);
  assert.deepEqual(config, {
    advertiseAddress: '127.0.0.11',
    bindAddress: '127.0.0.11',
    securePort: 6443,
    etcdServers: ['https://127.0.0.11:2379'],
    etcdCaFile: '/n/pki/etcd/ca.crt',
    etcdCertFile: '/n/pki/apiserver-etcd-client.crt',
    etcdKeyFile: '/n/pki/apiserver-etcd-client.key',
    tlsCertFile: '/n/pki/apiserver.crt',
    tlsPrivateKeyFile: '/n/pki/apiserver.key',
    clientCaFile: '/n/pki/ca.crt',
    etcdPrefix: '/registry',
    storageMediaType: 'application/vnd.kubernetes.protobuf',
  });
});

test('--storage-media-type: protobuf by default, application/json when given, anything else refused', () => {
  assert.equal(parseApiServerFlags([...base, '--storage-media-type=application/json']).storageMediaType, 'application/json');
  assert.equal(parseApiServerFlags([...base, '--storage-media-type', 'application/vnd.kubernetes.protobuf']).storageMediaType, 'application/vnd.kubernetes.protobuf');
  assert.throws(
    () => parseApiServerFlags([...base, '--storage-media-type=application/xml']),
    /--storage-media-type must be application\/json or application\/vnd\.kubernetes\.protobuf, not application\/xml/,
  );
});

test('separate values, several etcd servers, a bind address and a prefix', () => {
  const config = parseApiServerFlags([...base, '--secure-port', '7443', '--etcd-servers=https://a:2379, https://b:2379', '--bind-address=127.0.0.12', '--etcd-prefix=/k8s']);
  assert.equal(config.securePort, 7443);
  assert.deepEqual(config.etcdServers, ['https://a:2379', 'https://b:2379']);
  assert.equal(config.bindAddress, '127.0.0.12');
  assert.equal(config.etcdPrefix, '/k8s');
  // A wildcard bind address would expose the sandbox: it listens on its own IP instead.
  assert.equal(parseApiServerFlags([...base, '--bind-address=0.0.0.0']).bindAddress, '127.0.0.11');
});

test('missing or bad flags are named', () => {
  assert.throws(
    () => parseApiServerFlags(base.slice(1)),
    (error: unknown) => error instanceof SandboxInputError && /missing --advertise-address/.test(error.message),
  );
  assert.throws(() => parseApiServerFlags(['--advertise-address=1.2.3.4']), /--etcd-servers, --etcd-cafile, .*--client-ca-file/);
  assert.throws(() => parseApiServerFlags([...base, '--secure-port=http']), /--secure-port must be a port number, not http/);
  assert.throws(() => parseApiServerFlags([...base, '--etcd-prefix']), /--etcd-prefix needs a value/);
});
