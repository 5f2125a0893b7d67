import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SandboxInputError } from '../../src/errors.js';
import { parseManifest } from '../../src/runner/static-pod-file.js';
import { fixture } from '../support/fixtures.js';

test('parseManifest names the file and the key of what is wrong', () => {
  assert.throws(
    () => parseManifest('kind: Service\n', '/m/a.yaml'),
    (e: unknown) => e instanceof SandboxInputError && /\/m\/a\.yaml: kind: expected a Pod/.test(e.message),
  );
  assert.throws(() => parseManifest('kind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: c}]}\n', '/m/b.yaml'), /spec\.containers\[0\]\.command/);
  assert.throws(() => parseManifest('kind: Pod\n  bad: [', '/m/c.yaml'), /\/m\/c\.yaml: not valid YAML/);
  assert.throws(
    () => parseManifest('kind: Pod\nmetadata: {name: x}\nspec: {containers: [{command: [a]}], volumes: [{name: v, hostPath: {path: rel}}]}\n', '/m/e.yaml'),
    /spec\.volumes\[0\]\.hostPath\.path: expected an absolute path/,
  );
  const pod = parseManifest('kind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: c, command: [sleep], args: ["5"]}]}\n', '/m/d.yaml');
  assert.deepEqual(pod.argv, ['sleep', '5']);
  assert.deepEqual(pod.hostPaths, []);
});

test('a real kubeadm manifest: its command, image, pod name and hostPath volumes', () => {
  const text = readFileSync(fixture('kubeadm', 'v1.32-kube-controller-manager.yaml'), 'utf8');
  const pod = parseManifest(text, '/etc/kubernetes/manifests/kube-controller-manager.yaml');
  assert.equal(pod.name, 'kube-controller-manager');
  assert.equal(pod.namespace, 'kube-system');
  assert.equal(pod.image, 'registry.k8s.io/kube-controller-manager:v1.32.11');
  assert.equal(pod.argv[0], 'kube-controller-manager');
  assert.ok(pod.argv.includes('--kubeconfig=/etc/kubernetes/controller-manager.conf'));
  assert.deepEqual(
    pod.hostPaths.map((v) => `${v.name} ${v.type} ${v.path}`),
    [
      'ca-certs DirectoryOrCreate /etc/ssl/certs',
      'etc-pki-ca-trust DirectoryOrCreate /etc/pki/ca-trust',
      'etc-pki-tls-certs DirectoryOrCreate /etc/pki/tls/certs',
      'flexvolume-dir DirectoryOrCreate /usr/libexec/kubernetes/kubelet-plugins/volume/exec',
      'k8s-certs DirectoryOrCreate /etc/kubernetes/pki',
      'kubeconfig FileOrCreate /etc/kubernetes/controller-manager.conf',
    ],
  );
});
