import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEtcdCredentials, describeCredentials } from '../../src/etcd/client.js';
import { FakeTransport } from './helpers/context.js';

const files = (...paths: string[]) => new Map<string, Buffer | 'dir'>(paths.map((p) => [p, Buffer.from('pem')]));

test('kubeadm defaults: localhost endpoint, healthcheck-client pair', async () => {
  const transport = new FakeTransport(files('/etc/kubernetes/pki/etcd/healthcheck-client.crt'));
  const plan = await resolveEtcdCredentials(transport, {}, {}, {});
  assert.deepEqual(plan.endpoints, ['https://127.0.0.1:2379']);
  assert.equal(plan.caFile, '/etc/kubernetes/pki/etcd/ca.crt');
  assert.equal(plan.certFile, '/etc/kubernetes/pki/etcd/healthcheck-client.crt');
  assert.equal(plan.keyFile, '/etc/kubernetes/pki/etcd/healthcheck-client.key');
  assert.equal(plan.sources.endpoints, 'kubeadm default');
});

test("without a healthcheck pair, the API server's etcd client pair is used", async () => {
  const transport = new FakeTransport(files('/etc/kubernetes/pki/apiserver-etcd-client.crt'));
  const plan = await resolveEtcdCredentials(transport, {}, {}, {});
  assert.equal(plan.certFile, '/etc/kubernetes/pki/apiserver-etcd-client.crt');
  assert.equal(plan.keyFile, '/etc/kubernetes/pki/apiserver-etcd-client.key');
});

test('the manifest gives the endpoint and the pki folder (a relocated layout such as a sandbox node)', async () => {
  const transport = new FakeTransport(files('/sb/n1/pki/etcd/healthcheck-client.crt'));
  const plan = await resolveEtcdCredentials(transport, {}, { advertiseClientUrls: 'https://127.0.0.11:2379', trustedCaFile: '/sb/n1/pki/etcd/ca.crt' }, {});
  assert.deepEqual(plan.endpoints, ['https://127.0.0.11:2379']);
  assert.equal(plan.caFile, '/sb/n1/pki/etcd/ca.crt');
  assert.equal(plan.certFile, '/sb/n1/pki/etcd/healthcheck-client.crt');
  assert.equal(plan.sources.caFile, 'manifest');
  assert.match(describeCredentials(plan), /etcd endpoints https:\/\/127\.0\.0\.11:2379 \(manifest\); CA \/sb\/n1\/pki\/etcd\/ca\.crt \(manifest\)/);
});

test('ETCDCTL_* environment beats the manifest, explicit args beat both', async () => {
  const transport = new FakeTransport(files());
  const env = { ETCDCTL_ENDPOINTS: '10.0.0.1:2379,https://10.0.0.2:2379', ETCDCTL_CACERT: '/env/ca', ETCDCTL_CERT: '/env/crt', ETCDCTL_KEY: '/env/key' };
  const hints = { advertiseClientUrls: 'https://m:2379', trustedCaFile: '/m/ca.crt' };
  const fromEnv = await resolveEtcdCredentials(transport, {}, hints, env);
  assert.deepEqual(fromEnv.endpoints, ['https://10.0.0.1:2379', 'https://10.0.0.2:2379']);
  assert.deepEqual([fromEnv.caFile, fromEnv.certFile, fromEnv.keyFile], ['/env/ca', '/env/crt', '/env/key']);
  assert.equal(fromEnv.sources.certFile, 'env');
  const given = await resolveEtcdCredentials(transport, { endpoints: ['https://x:1'], caFile: '/a/ca', certFile: '/a/c', keyFile: '/a/k' }, hints, env);
  assert.deepEqual([given.endpoints, given.caFile, given.certFile, given.keyFile], [['https://x:1'], '/a/ca', '/a/c', '/a/k']);
  assert.equal(given.sources.endpoints, 'given');
});

test('plain http endpoints need no certificates', async () => {
  const plan = await resolveEtcdCredentials(new FakeTransport(), { endpoints: ['http://127.0.0.1:2379'] }, {}, {});
  assert.equal(plan.caFile, undefined);
  assert.match(describeCredentials(plan), /no TLS/);
});
