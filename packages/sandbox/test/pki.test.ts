import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { planNodes, planWorkers, pathsOfNode } from '../src/layout.js';
import { createNodeFolders } from '../src/node-files.js';
import { generateSandboxPki } from '../src/pki.js';
import { fixture } from './support/fixtures.js';

async function subjectAndSans(crt: string): Promise<string> {
  const { stdout } = await execa('openssl', ['x509', '-in', crt, '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage,basicConstraints']);
  return stdout;
}

/** The shape of a kubeconfig with every value that differs by cluster blanked. */
function shapeOf(config: unknown): unknown {
  if (Array.isArray(config)) return config.map(shapeOf);
  if (config && typeof config === 'object') return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === 'string' && /-data$|^server$/.test(k) ? '<value>' : shapeOf(v)]));
  return config;
}

const subjectOfData = (data: string) => new X509Certificate(Buffer.from(data, 'base64')).subject.split('\n').sort().join(', ');

test("generateSandboxPki writes kubeadm's pki and kubeconfig files for every master and worker, verifiable against shared CAs", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-pki-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const nodes = planNodes(dir, 2, '127.0.100.');
  const workers = planWorkers(dir, 1, '127.0.100.');
  await Promise.all([...nodes.map((n) => createNodeFolders(n)), ...workers.map((n) => createNodeFolders(n, 'worker'))]);
  await generateSandboxPki(dir, nodes, workers);

  const etcdFiles = ['ca', 'server', 'peer', 'healthcheck-client'];
  const kubeFiles = ['ca', 'apiserver', 'apiserver-etcd-client', 'apiserver-kubelet-client', 'front-proxy-ca', 'front-proxy-client'];
  const realAdmin = parse(await readFile(fixture('kubeadm', 'admin.conf'), 'utf8')) as { users: Array<{ user: Record<string, string> }> };
  for (const [i, node] of nodes.entries()) {
    const p = pathsOfNode(node.root);
    for (const [folder, bases] of [
      [p.etcdPkiDir, etcdFiles],
      [p.pkiDir, kubeFiles],
    ] as const) {
      for (const base of bases) {
        const key = await stat(join(folder, `${base}.key`));
        assert.equal(key.mode & 0o777, 0o600, `${folder}/${base}.key must be 0600`);
        await stat(join(folder, `${base}.crt`));
      }
    }
    assert.equal((await stat(join(p.pkiDir, 'sa.key'))).mode & 0o777, 0o600);
    assert.match(await readFile(join(p.pkiDir, 'sa.pub'), 'utf8'), /BEGIN PUBLIC KEY/);
    const verifyEtcd = await execa('openssl', [
      'verify',
      '-CAfile',
      join(p.etcdPkiDir, 'ca.crt'),
      ...['server', 'peer', 'healthcheck-client'].map((b) => join(p.etcdPkiDir, `${b}.crt`)),
      join(p.pkiDir, 'apiserver-etcd-client.crt'),
    ]);
    assert.equal(verifyEtcd.stdout.split('\n').filter((l) => l.endsWith(': OK')).length, 4);
    const verifyKube = await execa('openssl', ['verify', '-CAfile', join(p.pkiDir, 'ca.crt'), ...['apiserver', 'admin', 'apiserver-kubelet-client'].map((b) => join(p.pkiDir, `${b}.crt`))]);
    assert.equal(verifyKube.stdout.split('\n').filter((l) => l.endsWith(': OK')).length, 3);
    const verifyProxy = await execa('openssl', ['verify', '-CAfile', join(p.pkiDir, 'front-proxy-ca.crt'), join(p.pkiDir, 'front-proxy-client.crt')]);
    assert.match(verifyProxy.stdout, /front-proxy-client\.crt: OK/);
    // The etcd CA must not validate the API server's serving cert: two distinct CAs.
    const cross = await execa('openssl', ['verify', '-CAfile', join(p.etcdPkiDir, 'ca.crt'), join(p.pkiDir, 'apiserver.crt')], { reject: false });
    assert.notEqual(cross.exitCode, 0);

    const server = await subjectAndSans(join(p.etcdPkiDir, 'server.crt'));
    assert.match(server, new RegExp(`IP Address:${node.ip.replace(/\./g, '\\.')}`));
    assert.match(server, /IP Address:127\.0\.0\.1/);
    assert.match(server, new RegExp(`DNS:localhost, DNS:${node.name}`));
    assert.match(server, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(server, /CA:FALSE/);
    assert.match(await subjectAndSans(join(p.pkiDir, 'apiserver.crt')), /IP Address:10\.96\.0\.1.*DNS:kubernetes\.default\.svc\.cluster\.local/s);

    // admin.conf: kubeadm's shape and kubeadm's user (group kubeadm:cluster-admins since 1.29), as in a real one.
    const admin = parse(await readFile(p.kubeconfig, 'utf8'));
    assert.deepEqual(shapeOf(admin), shapeOf({ ...realAdmin, users: [{ ...realAdmin.users[0], user: { 'client-certificate-data': 'x', 'client-key-data': 'x' } }] }));
    assert.equal(admin.clusters[0].cluster.server, `https://${node.ip}:6443`);
    assert.equal(subjectOfData(admin.users[0].user['client-certificate-data']), subjectOfData(realAdmin.users[0]!.user['client-certificate-data']!));
    assert.equal((await stat(p.kubeconfig)).mode & 0o777, 0o600);
    const userOf = async (file: string) => subjectOfData(parse(await readFile(file, 'utf8')).users[0].user['client-certificate-data']);
    assert.equal(await userOf(p.controllerManagerConf), 'CN=system:kube-controller-manager');
    assert.equal(await userOf(p.schedulerConf), 'CN=system:kube-scheduler');
    // super-admin.conf (system:masters) exists on the `kubeadm init` master only.
    assert.equal(existsSync(p.superAdminConf), i === 0);
    if (i === 0) assert.equal(await userOf(p.superAdminConf), 'CN=kubernetes-super-admin, O=system:masters');
    const kubelet = parse(await readFile(p.kubeletConf, 'utf8'));
    assert.equal(kubelet.users[0].user['client-certificate'], join(p.kubeletPkiDir, 'kubelet-client-current.pem'));
    assert.equal(kubelet.users[0].name, i === 0 ? `system:node:${node.name}` : 'default-auth', 'a joined kubelet wrote its own kubelet.conf after its TLS bootstrap');
    const pem = await readFile(join(p.kubeletPkiDir, 'kubelet-client-current.pem'), 'utf8');
    assert.equal(new X509Certificate(pem).subject.split('\n').sort().join(', '), `CN=system:node:${node.name}, O=system:nodes`);
    assert.match(pem, /PRIVATE KEY/);
  }
  // A worker: the cluster CA's certificate and its kubelet.conf, through the first master's API server.
  const w = pathsOfNode(workers[0]!.root);
  assert.equal(existsSync(join(w.pkiDir, 'ca.key')), false, 'a worker has no CA key');
  assert.deepEqual(await readFile(join(w.pkiDir, 'ca.crt')), await readFile(join(pathsOfNode(nodes[0]!.root).pkiDir, 'ca.crt')));
  assert.equal(existsSync(w.kubeconfig), false, 'a worker has no admin.conf');
  const workerKubelet = parse(await readFile(w.kubeletConf, 'utf8'));
  assert.equal(workerKubelet['current-context'], 'default-context');
  assert.equal(workerKubelet.clusters[0].cluster.server, `https://${nodes[0]!.ip}:6443`);

  // Shared CAs and service-account keys: node2's are byte-identical to node1's.
  for (const file of ['etcd/ca.crt', 'ca.crt', 'front-proxy-ca.crt', 'sa.key', 'sa.pub']) {
    const [a, b] = await Promise.all(nodes.map((n) => readFile(join(pathsOfNode(n.root).pkiDir, file))));
    assert.deepEqual(a, b, file);
  }
  // Distinct server keys per node.
  const [k1, k2] = await Promise.all(nodes.map((n) => readFile(join(pathsOfNode(n.root).etcdPkiDir, 'server.key'))));
  assert.notDeepEqual(k1, k2);
  await assert.rejects(stat(join(dir, '.pki-work')));
});
