import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOIN_PREPARE_COMPONENTS, writeInitialManifests } from '../src/control-plane.js';
import { manifestPath, pathsOfNode, planNodes } from '../src/layout.js';
import { writeNodeManifests } from '../src/manifests.js';
import { readManifest } from '../src/runner/static-pod-file.js';

const flag = (argv: string[], name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

test('before the kubelets start, the init master has four manifests and a joining master every one but etcd', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-manifests-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const nodes = planNodes(dir, 3, '127.0.100.');
  await writeInitialManifests(nodes, { etcdImageTag: '3.4.23-0', caCertDirs: [] });
  assert.deepEqual((await readdir(pathsOfNode(nodes[0]!.root).manifestsDir)).sort(), ['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']);
  for (const node of nodes.slice(1)) {
    assert.deepEqual((await readdir(pathsOfNode(node.root).manifestsDir)).sort(), JOIN_PREPARE_COMPONENTS.map((c) => `${c}.yaml`).sort());
  }
  assert.ok(!JOIN_PREPARE_COMPONENTS.includes('etcd'));
});

test('written manifests are 0600, as kubeadm writes them, and read back by the runner with paths inside the node', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-manifests-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const [node] = planNodes(dir, 1, '127.0.100.');
  const p = pathsOfNode(node!.root);
  const files = await writeNodeManifests(node!, ['etcd', 'kube-scheduler'], { caCertDirs: [] });
  assert.equal(files.length, 2);
  for (const file of files) assert.equal((await stat(file)).mode & 0o777, 0o600, file);
  const etcd = await readManifest(manifestPath(node!.root, 'etcd'));
  assert.equal(etcd.argv[0], 'etcd');
  assert.equal(flag(etcd.argv, 'data-dir'), p.dataDir);
  assert.equal(flag(etcd.argv, 'cert-file'), `${p.etcdPkiDir}/server.crt`);
  assert.deepEqual(
    etcd.hostPaths.map((v) => v.path),
    [p.etcdPkiDir, p.dataDir],
  );
  const scheduler = await readManifest(manifestPath(node!.root, 'kube-scheduler'));
  assert.equal(flag(scheduler.argv, 'kubeconfig'), p.schedulerConf);
  assert.deepEqual(scheduler.hostPaths, [{ name: 'kubeconfig', path: p.schedulerConf, type: 'FileOrCreate' }]);
});
