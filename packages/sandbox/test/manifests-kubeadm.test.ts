// The sandbox's manifests against manifests real kubeadm clusters run with
// (fixtures/kubeadm/, each naming its source): everything must be equal but the values
// that differ by host or by cluster — addresses, node names, the node folder's prefix,
// image tags, the service and pod subnets, and the system CA folders kubeadm mounts when
// the host has them. The writer must also reproduce kubeadm's file format byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { planNodes, type Component } from '../src/layout.js';
import { buildManifest, peerUrlOf, type ManifestOptions } from '../src/manifests.js';
import { serializeStaticPod } from '../src/static-pod.js';
import { fixture as fixturePath } from './support/fixtures.js';

/** The fixture without its source header. */
const body = (name: string) => readFileSync(fixturePath('kubeadm', name), 'utf8').replace(/^(#.*\n)+/, '');
const fixture = (name: string) => parse(body(name)) as Record<string, unknown>;

const ROCKY_CA_DIRS = ['/etc/pki/ca-trust', '/etc/pki/tls/certs'];
const HOST_CA_VOLUMES = new Set(['etc-pki-ca-trust', 'etc-pki-tls-certs', 'etc-ca-certificates', 'usr-share-ca-certificates', 'usr-local-share-ca-certificates']);

/** Replaces what differs by host or cluster with placeholders; drops the host's CA folder volumes. */
function generalize(value: unknown, names: string[], root = ''): unknown {
  if (typeof value === 'string') {
    let text = root ? value.replaceAll(root, '') : value;
    text = text.replace(/registry\.k8s\.io\/([a-z-]+):\S+/g, 'registry.k8s.io/$1:<tag>');
    text = text.replace(/\b\d+\.\d+\.\d+\.\d+\/\d+\b/g, '<subnet>');
    text = text.replace(/\b(\d+\.\d+\.\d+\.\d+|X\.X\.X\.\d+)\b/g, '<ip>');
    for (const name of names) text = text.replace(new RegExp(`(?<=^|[=,])${name}(?==)|(?<=^--name=)${name}$`, 'g'), '<name>');
    return text;
  }
  if (Array.isArray(value)) {
    return value.filter((item) => !(item && typeof item === 'object' && HOST_CA_VOLUMES.has((item as { name?: string }).name ?? ''))).map((item) => generalize(item, names, root));
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, generalize(v, names, root)]));
  return value;
}

const nodes = planNodes('/sbx', 3, '127.0.100.');
const node1 = nodes[0]!;
const generated = (component: Component, node = node1, options: ManifestOptions = {}) => buildManifest(component, node, { caCertDirs: ROCKY_CA_DIRS, ...options });

test("etcd of the init master equals kubeadm's (1-member --initial-cluster, no state flag), but for host values", () => {
  const real = fixture('init-etcd.yaml');
  assert.deepEqual(generalize(generated('etcd'), ['node1'], node1.root), generalize(real, ['controlplane']));
  const command = (generated('etcd').spec as { containers: Array<{ command: string[] }> }).containers[0]!.command;
  assert.ok(command.includes('--initial-cluster=node1=https://127.0.100.11:2380'));
  assert.ok(!command.some((flag) => flag.startsWith('--initial-cluster-state') || flag.startsWith('--initial-cluster-token')), 'kubeadm init writes neither');
  // The one deviation: the node's own address stands in for its 127.0.0.1.
  assert.ok(command.includes('--listen-client-urls=https://127.0.100.11:2379,https://127.0.100.11:2379'));
  assert.ok(command.includes('--listen-metrics-urls=http://127.0.100.11:2381'));
});

test('etcd of a joined master: its command and volumes equal those kubeadm join wrote on a real third master', () => {
  // What `member add` returned for node3 (etcd's order, not the join order).
  const joinCluster = [nodes[2]!, nodes[0]!, nodes[1]!].map((n) => ({ name: n.name, peerUrl: peerUrlOf(n) }));
  const pod = generated('etcd', nodes[2]!, { joinCluster, etcdImageTag: '3.4.23-0' }) as { spec: { containers: Array<{ command: string[]; volumeMounts: unknown; image: string }>; volumes: unknown } };
  const real = fixture('joined-etcd.yaml') as typeof pod;
  const names = ['node1', 'node2', 'node3'];
  const realNames = ['kube-master1', 'kube-master2', 'kube-master3'];
  assert.deepEqual(generalize(pod.spec.containers[0]!.command, names, nodes[2]!.root), generalize(real.spec.containers[0]!.command, realNames));
  assert.deepEqual(generalize(pod.spec.containers[0]!.volumeMounts, names, nodes[2]!.root), generalize(real.spec.containers[0]!.volumeMounts, realNames));
  assert.deepEqual(generalize(pod.spec.volumes, names, nodes[2]!.root), generalize(real.spec.volumes, realNames));
  assert.ok(pod.spec.containers[0]!.command.includes('--initial-cluster=node3=https://127.0.100.13:2380,node1=https://127.0.100.11:2380,node2=https://127.0.100.12:2380'));
  assert.ok(pod.spec.containers[0]!.command.includes('--initial-cluster-state=existing'));
  assert.equal(pod.spec.containers[0]!.image, 'registry.k8s.io/etcd:3.4.23-0', 'the tag of the etcd in use');
});

for (const component of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const) {
  test(`${component} equals kubeadm 1.32's, the host's CA folders included when the host has the same ones`, () => {
    const real = fixture(`v1.32-${component}.yaml`);
    const ours = generated(component);
    assert.deepEqual(generalize(ours, ['node1'], node1.root), generalize(real, ['k8s-ctr']));
    // Given the Rocky host's CA folders, the volumes are kubeadm's to the letter (paths of the machine, not of the node).
    const volumes = (pod: Record<string, unknown>) =>
      (pod.spec as { volumes: Array<{ name: string; hostPath: { path: string } }> }).volumes.map((v) => `${v.name} ${v.hostPath.path.replace(node1.root, '')}`);
    assert.deepEqual(volumes(ours), volumes(real));
  });
}

test("kube-apiserver talks to its own member only, at the node's address standing in for 127.0.0.1", () => {
  const command = (generated('kube-apiserver').spec as { containers: Array<{ command: string[] }> }).containers[0]!.command;
  assert.deepEqual(
    command.filter((f) => f.startsWith('--etcd-servers=')),
    ['--etcd-servers=https://127.0.100.11:2379'],
  );
  assert.ok(command.includes('--advertise-address=127.0.100.11'));
  assert.ok(!command.some((f) => f.startsWith('--etcd-prefix')), 'kubeadm leaves the prefix at its default');
});

test("the writer reproduces kubeadm's file format byte for byte", () => {
  for (const name of ['init-etcd.yaml', 'joined-etcd.yaml', 'v1.32-kube-apiserver.yaml', 'v1.32-kube-controller-manager.yaml', 'v1.32-kube-scheduler.yaml']) {
    assert.equal(serializeStaticPod(fixture(name)), body(name), name);
  }
});

test("without the host's CA folders only /etc/ssl/certs is mounted; with Debian's, kubeadm's names and order", () => {
  const names = (dirs: string[]) => (buildManifest('kube-apiserver', node1, { caCertDirs: dirs }).spec as { volumes: Array<{ name: string }> }).volumes.map((v) => v.name);
  assert.deepEqual(names([]), ['ca-certs', 'k8s-certs']);
  assert.deepEqual(names(['/etc/ca-certificates', '/usr/share/ca-certificates', '/usr/local/share/ca-certificates']), [
    'ca-certs',
    'etc-ca-certificates',
    'k8s-certs',
    'usr-local-share-ca-certificates',
    'usr-share-ca-certificates',
  ]);
});
