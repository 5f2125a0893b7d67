import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { InputError } from '../../src/errors.js';
import { manifestPath, pathsOfNode, planNodes } from '../../src/sandbox/layout.js';
import { buildManifest, parseManifest, readManifest, writeNodeManifests } from '../../src/sandbox/manifests.js';

const flag = (argv: string[], name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

test('the etcd manifest carries kubeadm flags with paths inside the node folder', () => {
  const nodes = planNodes('/sbx', 3, '127.0.9.');
  const pod = parseManifest(JSON.stringify(buildManifest('etcd', nodes[1]!, nodes)), '/sbx/node2/etc/kubernetes/manifests/etcd.yaml');
  assert.equal(pod.argv[0], 'etcd');
  assert.equal(flag(pod.argv, 'name'), 'node2');
  assert.equal(flag(pod.argv, 'data-dir'), '/sbx/node2/var/lib/etcd');
  assert.equal(flag(pod.argv, 'initial-advertise-peer-urls'), 'https://127.0.9.12:2380');
  assert.equal(flag(pod.argv, 'listen-client-urls'), 'https://127.0.9.12:2379');
  assert.equal(flag(pod.argv, 'initial-cluster'), 'node1=https://127.0.9.11:2380,node2=https://127.0.9.12:2380,node3=https://127.0.9.13:2380');
  assert.equal(flag(pod.argv, 'client-cert-auth'), 'true');
  assert.equal(flag(pod.argv, 'cert-file'), '/sbx/node2/etc/kubernetes/pki/etcd/server.crt');
  assert.equal(flag(pod.argv, 'peer-key-file'), '/sbx/node2/etc/kubernetes/pki/etcd/peer.key');
  assert.equal(pod.container, 'etcd');
  assert.equal(pod.namespace, 'kube-system');
});

test('the kube-apiserver manifest points at its own etcd with the apiserver-etcd-client pair', () => {
  const [node] = planNodes('/sbx', 1);
  const pod = parseManifest(JSON.stringify(buildManifest('kube-apiserver', node!, [node!])), 'x.yaml');
  assert.equal(flag(pod.argv, 'etcd-servers'), 'https://127.0.0.11:2379');
  assert.equal(flag(pod.argv, 'etcd-certfile'), '/sbx/node1/etc/kubernetes/pki/apiserver-etcd-client.crt');
  assert.equal(flag(pod.argv, 'secure-port'), '6443');
  assert.equal(flag(pod.argv, 'etcd-prefix'), '/registry');
});

test('writeNodeManifests writes four YAML pods the runner can read back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-manifests-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const nodes = planNodes(dir, 1);
  const files = await writeNodeManifests(nodes[0]!, nodes);
  assert.equal(files.length, 4);
  const scheduler = await readManifest(manifestPath(nodes[0]!.root, 'kube-scheduler'));
  assert.equal(scheduler.argv[0], 'kube-scheduler');
  assert.equal(flag(scheduler.argv, 'kubeconfig'), pathsOfNode(nodes[0]!.root).kubeconfig);
  const raw = parse(await readFile(manifestPath(nodes[0]!.root, 'etcd'), 'utf8'));
  assert.equal(raw.spec.hostNetwork, true);
  assert.deepEqual(raw.spec.volumes.map((v: { hostPath: { path: string } }) => v.hostPath.path), [pathsOfNode(nodes[0]!.root).etcdPkiDir, pathsOfNode(nodes[0]!.root).dataDir]);
});

test('parseManifest names the file and the key of what is wrong', () => {
  assert.throws(() => parseManifest('kind: Service\n', '/m/a.yaml'), (e: unknown) => e instanceof InputError && /\/m\/a\.yaml: kind: expected a Pod/.test(e.message));
  assert.throws(() => parseManifest('kind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: c}]}\n', '/m/b.yaml'), /spec\.containers\[0\]\.command/);
  assert.throws(() => parseManifest('kind: Pod\n  bad: [', '/m/c.yaml'), /\/m\/c\.yaml: not valid YAML/);
  const pod = parseManifest('kind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: c, command: [sleep], args: ["5"]}]}\n', '/m/d.yaml');
  assert.deepEqual(pod.argv, ['sleep', '5']);
});
