import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { planNodes, pathsOfNode } from '../../src/sandbox/layout.js';
import { generateSandboxPki } from '../../src/sandbox/pki.js';

async function subjectAndSans(crt: string): Promise<string> {
  const { stdout } = await execa('openssl', ['x509', '-in', crt, '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage,basicConstraints']);
  return stdout;
}

test('generateSandboxPki writes kubeadm-shaped pki for every node, verifiable against shared CAs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-pki-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const nodes = planNodes(dir, 2, '127.0.41.');
  await generateSandboxPki(dir, nodes);

  const etcdFiles = ['ca', 'server', 'peer', 'healthcheck-client'];
  const kubeFiles = ['ca', 'apiserver', 'apiserver-etcd-client'];
  for (const node of nodes) {
    const { pkiDir, etcdPkiDir } = pathsOfNode(node.root);
    for (const [folder, bases] of [[etcdPkiDir, etcdFiles], [pkiDir, kubeFiles]] as const) {
      for (const base of bases) {
        const key = await stat(join(folder, `${base}.key`));
        assert.equal(key.mode & 0o777, 0o600, `${folder}/${base}.key must be 0600`);
        await stat(join(folder, `${base}.crt`));
      }
    }
    const verifyEtcd = await execa('openssl', ['verify', '-CAfile', join(etcdPkiDir, 'ca.crt'),
      ...['server', 'peer', 'healthcheck-client'].map((b) => join(etcdPkiDir, `${b}.crt`)), join(pkiDir, 'apiserver-etcd-client.crt')]);
    assert.match(verifyEtcd.stdout, /apiserver-etcd-client\.crt: OK/);
    assert.equal(verifyEtcd.stdout.split('\n').filter((l) => l.endsWith(': OK')).length, 4);
    const verifyKube = await execa('openssl', ['verify', '-CAfile', join(pkiDir, 'ca.crt'), join(pkiDir, 'apiserver.crt'), join(pkiDir, 'admin.crt')]);
    assert.equal(verifyKube.stdout.split('\n').filter((l) => l.endsWith(': OK')).length, 2);
    // The etcd CA must not validate the API server's serving cert: two distinct CAs.
    const cross = await execa('openssl', ['verify', '-CAfile', join(etcdPkiDir, 'ca.crt'), join(pkiDir, 'apiserver.crt')], { reject: false });
    assert.notEqual(cross.exitCode, 0);

    const server = await subjectAndSans(join(etcdPkiDir, 'server.crt'));
    assert.match(server, new RegExp(`IP Address:${node.ip.replace(/\./g, '\\.')}`));
    assert.match(server, /IP Address:127\.0\.0\.1/);
    assert.match(server, new RegExp(`DNS:localhost, DNS:${node.name}`));
    assert.match(server, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(server, /CA:FALSE/);

    const kubeconfig = parse(await readFile(pathsOfNode(node.root).kubeconfig, 'utf8'));
    assert.equal(kubeconfig.clusters[0].cluster.server, `https://${node.ip}:6443`);
    const cert = Buffer.from(kubeconfig.users[0].user['client-certificate-data'], 'base64').toString();
    const { stdout: subject } = await execa('openssl', ['x509', '-noout', '-subject'], { input: cert });
    assert.match(subject, /O = system:masters, CN = kubernetes-admin/);
    assert.equal((await stat(pathsOfNode(node.root).kubeconfig)).mode & 0o777, 0o600);
  }
  // Shared CAs: node2's CA file is byte-identical to node1's.
  const [ca1, ca2] = await Promise.all(nodes.map((n) => readFile(join(pathsOfNode(n.root).etcdPkiDir, 'ca.crt'))));
  assert.deepEqual(ca1, ca2);
  // Distinct server keys per node.
  const [k1, k2] = await Promise.all(nodes.map((n) => readFile(join(pathsOfNode(n.root).etcdPkiDir, 'server.key'))));
  assert.notDeepEqual(k1, k2);
  await assert.rejects(stat(join(dir, '.pki-work')));
});
