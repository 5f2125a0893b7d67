// The member facts of real manifests and config files (fixtures/manifests, fixtures/etcd-config:
// each names its source at its top).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEtcdConfigFile } from '../../src/etcd/etcd-config-file.js';
import { DEFAULT_QUOTA_BACKEND_BYTES, parseQuota } from '../../src/etcd/etcd-settings.js';
import { parseEtcdManifest, parseInitialCluster } from '../../src/etcd/manifest.js';
import { hostPathOf, tagOfImage } from '../../src/etcd/manifest-pod.js';
import { memberFactsFromStaticPod, type EtcdMemberFacts, type MemberFactsResult } from '../../src/etcd/member-facts.js';
import { versionOfImage } from '../../src/etcd/version-skew.js';
import { fixtureText } from './helpers/fake-host.js';

const KUBEADM = '/etc/kubernetes/manifests/etcd.yaml';
const RKE2 = '/var/lib/rancher/rke2/agent/pod-manifests/etcd.yaml';
const RKE2_CONFIG = '/var/lib/rancher/rke2/server/db/etcd/config';

function staticPod(fixture: string, file = KUBEADM, config?: { fixture: string; file: string }): MemberFactsResult {
  const manifest = parseEtcdManifest(fixtureText(fixture), file);
  const configFile = config ? parseEtcdConfigFile(fixtureText(config.fixture), config.file) : undefined;
  return memberFactsFromStaticPod({ manifest, configFile, imageVersion: versionOfImage(manifest.pod.image) });
}

function facts(result: MemberFactsResult): EtcdMemberFacts {
  if (!result.ok) assert.fail(result.problem);
  return result.facts;
}

test('kubeadm init master: its own member, the host dir behind --data-dir, root, 2 GiB default quota, etcd 3.5.10 from the image', () => {
  const f = facts(staticPod('manifests/kubeadm-init-etcd.yaml'));
  assert.equal(f.layout, 'kubeadm');
  assert.equal(f.configuredBy, `kubeadm static pod ${KUBEADM}`);
  assert.equal(f.name, 'controlplane');
  assert.deepEqual(f.peerUrls, ['https://192.37.70.3:2380']);
  assert.deepEqual(f.clientUrls, ['https://192.37.70.3:2379']);
  assert.equal(f.dataDir, '/var/lib/etcd');
  assert.equal(f.hostDataDir, '/var/lib/etcd');
  assert.equal(f.initialCluster, 'controlplane=https://192.37.70.3:2380');
  assert.equal(f.initialClusterState, undefined, 'kubeadm init writes no --initial-cluster-state (etcd defaults to new)');
  assert.deepEqual({ uid: f.owner.uid, gid: f.owner.gid }, { uid: 0, gid: 0 });
  assert.match(f.owner.from, /no runAsUser/);
  assert.deepEqual({ bytes: f.quota.bytes, isDefault: f.quota.isDefault }, { bytes: DEFAULT_QUOTA_BACKEND_BYTES, isDefault: true });
  assert.deepEqual(f.version, { version: '3.5.10', from: 'the image tag of registry.k8s.io/etcd:3.5.10-0' });
  assert.equal(f.tls.trustedCaFile, '/etc/kubernetes/pki/etcd/ca.crt');
  assert.equal(f.tls.peerKeyFile, '/etc/kubernetes/pki/etcd/peer.key');
  assert.equal(f.tls.clientCertAuth, true);
  assert.equal(f.origin.name, `--name in ${KUBEADM}`);
  assert.deepEqual(f.client, {
    caFile: '/etc/kubernetes/pki/etcd/ca.crt',
    certFile: '/etc/kubernetes/pki/etcd/healthcheck-client.crt',
    keyFile: '/etc/kubernetes/pki/etcd/healthcheck-client.key',
    from: "kubeadm's healthcheck-client pair beside the CA",
  });
  assert.deepEqual(f.notes, []);
});

test('kubeadm join master: state existing, the members that existed when it joined (history), itself first', () => {
  const f = facts(staticPod('manifests/kubeadm-join-etcd.yaml'));
  assert.equal(f.name, 'kube-master3');
  assert.equal(f.initialClusterState, 'existing');
  assert.deepEqual(
    parseInitialCluster(f.initialCluster!).map((m) => m.name),
    ['kube-master3', 'kube-master1', 'kube-master2'],
  );
  assert.deepEqual(f.peerUrls, ['https://X.X.X.223:2380']);
  assert.equal(f.version?.version, '3.5.7');
});

test('the stacked HA README: the init and the join manifests, cut by "..." (a YAML document end), still parse; no volumes, no facts', () => {
  const first = parseEtcdManifest(fixtureText('manifests/stacked-ha/cp-1-dev-etcd.yaml'), KUBEADM);
  const second = parseEtcdManifest(fixtureText('manifests/stacked-ha/cp-2-dev-etcd.yaml'), KUBEADM);
  assert.equal(first.values.initialCluster, 'cp-1-dev=https://192.168.130.3:2380');
  assert.equal(first.values.initialClusterState, undefined);
  assert.equal(second.values.initialCluster, 'cp-1-dev=https://192.168.130.3:2380,cp-2-dev=https://192.168.130.4:2380');
  assert.equal(second.values.initialClusterState, 'existing');
  // The README cut the volumes away: the host dir behind --data-dir is unknown, so no facts are invented.
  assert.match((memberFactsFromStaticPod({ manifest: first }) as { problem: string }).problem, /on no hostPath volume/);
});

test('custom paths: --data-dir /data/etcd, and TLS files mapped to the host dir the pki volume comes from', () => {
  const f = facts(staticPod('manifests/kubeadm-custom-paths-etcd.yaml'));
  assert.equal(f.hostDataDir, '/data/etcd');
  assert.equal(f.tls.trustedCaFile, '/media/psf/runX-pkgs/k8s-start/etc/kubernetes/pki/ca.pem');
  assert.equal(f.tls.certFile, '/media/psf/runX-pkgs/k8s-start/etc/kubernetes/pki/kubernetes.pem');
  assert.equal(f.initialCluster, undefined);
  assert.equal(f.version?.version, '3.3.10');
  assert.equal(f.tls.clientCertAuth, false, 'this manifest does not pass --client-cert-auth');
});

test('minikube: kubeadm layout under /var/lib/minikube (data and certs), read from the mirror pod JSON', () => {
  const f = facts(staticPod('manifests/minikube-etcd-pod.yaml'));
  assert.equal(f.layout, 'minikube');
  assert.equal(f.name, 'minikube');
  assert.equal(f.hostDataDir, '/var/lib/minikube/etcd');
  assert.equal(f.tls.trustedCaFile, '/var/lib/minikube/certs/etcd/ca.crt');
  assert.equal(f.version?.version, '3.5.15');
  assert.match(f.configuredBy, /^minikube \(kubeadm\) static pod/);
});

test('RKE2: only --config-file on the command line; the member comes from the config file; the data dir holds the config', () => {
  const f = facts(staticPod('manifests/rke2-etcd.yaml', RKE2, { fixture: 'etcd-config/rke2-etcd-config.yaml', file: RKE2_CONFIG }));
  assert.equal(f.layout, 'rke2');
  assert.equal(f.configuredBy, `RKE2 static pod ${RKE2} with --config-file ${RKE2_CONFIG}`);
  assert.equal(f.name, 'k8s-node1-edb7e47e');
  assert.deepEqual(f.peerUrls, ['https://192.168.10.11:2380']);
  assert.equal(f.origin.peerUrls, `initial-advertise-peer-urls in ${RKE2_CONFIG}`);
  assert.equal(f.hostDataDir, '/var/lib/rancher/rke2/server/db/etcd');
  assert.equal(f.quota.bytes, 8589934592);
  assert.equal(f.quota.from, `quota-backend-bytes in ${RKE2_CONFIG}`);
  assert.equal(f.tls.trustedCaFile, '/var/lib/rancher/rke2/server/tls/etcd/server-ca.crt');
  assert.equal(f.version?.version, '3.5.26');
  assert.ok(
    f.notes.some((n) => /lives inside the data dir \/var\/lib\/rancher\/rke2\/server\/db\/etcd/.test(n)),
    f.notes.join('\n'),
  );
  assert.deepEqual(f.files, [RKE2, RKE2_CONFIG]);
  assert.equal(f.seLinuxType, 'rke2_service_db_t');
  assert.equal(f.client?.certFile, '/var/lib/rancher/rke2/server/tls/etcd/client.crt');
});

test('RKE2 with a config that has no initial-* keys: the peer URL comes from the etcd.k3s.io/initial annotation, and says so', () => {
  const f = facts(staticPod('manifests/rke2-etcd.yaml', RKE2, { fixture: 'etcd-config/rke2-etcd-config-doc.yaml', file: RKE2_CONFIG }));
  assert.equal(f.name, 'name-of-your-master');
  assert.deepEqual(f.peerUrls, ['https://192.168.10.11:2380']);
  assert.equal(f.origin.peerUrls, `initial-advertise-peer-urls in the etcd.k3s.io/initial annotation of ${RKE2}`);
  assert.deepEqual(f.clientUrls, ['http://localhost:2379'], "no advertise-client-urls: etcd's default, named as such");
  assert.ok(f.notes.some((n) => /sets no advertise-client-urls/.test(n)));
});

test('a --config-file that was not read is a refusal naming the layout, never an empty member name', () => {
  const result = staticPod('manifests/rke2-etcd.yaml', RKE2);
  assert.equal(result.ok, false);
  assert.match(
    (result as { problem: string }).problem,
    /^unsupported layout: etcd is configured by \/var\/lib\/rancher\/rke2\/agent\/pod-manifests\/etcd\.yaml with --config-file=\/var\/lib\/rancher\/rke2\/server\/db\/etcd\/config/,
  );
});

test('a data dir on no hostPath volume, or a manifest without --name, is refused with the reason', () => {
  const noVolume = parseEtcdManifest('spec:\n  containers:\n  - name: etcd\n    command: [etcd, --name=a, --data-dir=/var/lib/etcd]\n', KUBEADM);
  const r1 = memberFactsFromStaticPod({ manifest: noVolume });
  assert.match((r1 as { problem: string }).problem, /data dir \/var\/lib\/etcd is on no hostPath volume/);
  const noName = parseEtcdManifest('spec:\n  containers:\n  - command: [etcd, --data-dir=/var/lib/etcd]\n', KUBEADM);
  assert.match((memberFactsFromStaticPod({ manifest: noName }) as { problem: string }).problem, /sets no member name .*--name in .* is missing/);
});

test('hostPathOf takes the longest mount, keeps the rest of the path, and ignores non-hostPath volumes', () => {
  const pod = {
    mounts: [
      { name: 'a', mountPath: '/var/lib', hostPath: '/srv/lib', readOnly: false },
      { name: 'b', mountPath: '/var/lib/etcd/', hostPath: '/mnt/disk1/etcd', readOnly: false },
      { name: 'c', mountPath: '/scratch', readOnly: false },
    ],
  };
  assert.equal(hostPathOf(pod, '/var/lib/etcd')?.hostPath, '/mnt/disk1/etcd');
  assert.equal(hostPathOf(pod, '/var/lib/etcd/member/snap')?.hostPath, '/mnt/disk1/etcd/member/snap');
  assert.equal(hostPathOf(pod, '/var/lib/etcd2')?.hostPath, '/srv/lib/etcd2');
  assert.equal(hostPathOf(pod, '/scratch/etcd'), null);
});

test('image tags and versions: kubeadm, RKE2 hardened, v-prefixed, registry ports, digests', () => {
  assert.equal(tagOfImage('localhost:5000/etcd'), undefined);
  assert.equal(tagOfImage('localhost:5000/etcd:3.5.1-0'), '3.5.1-0');
  assert.equal(versionOfImage('registry.k8s.io/etcd:3.5.10-0'), '3.5.10');
  assert.equal(versionOfImage('index.docker.io/rancher/hardened-etcd:v3.5.26-k3s1-build20260126'), '3.5.26');
  assert.equal(versionOfImage('quay.io/coreos/etcd:v3.5.6'), '3.5.6');
  assert.equal(versionOfImage('dev-registry.deckhouse.io/sys/deckhouse-oss@sha256:b4bcee9498f54dcf0ee4377e5dcf9f98788517f7de1ccf10eeaba61a9a5f7337'), undefined);
  assert.equal(versionOfImage('registry.k8s.io/pause:3.9'), undefined, 'not an etcd image');
});

test('quota: absent or 0 is the 2 GiB default, negative is no quota, garbage is reported', () => {
  assert.deepEqual(parseQuota(undefined), { bytes: 2147483648, isDefault: true });
  assert.deepEqual(parseQuota('0'), { bytes: 2147483648, isDefault: true });
  assert.deepEqual(parseQuota('8589934592'), { bytes: 8589934592, isDefault: false });
  assert.deepEqual(parseQuota('-1'), { bytes: null, isDefault: false });
  assert.match(parseQuota('8G').problem!, /not a whole number/);
});

test('the k3s config file: TLS nested under client-transport-security, numbers and lists as text, no initial-* keys', () => {
  const config = parseEtcdConfigFile(fixtureText('etcd-config/k3s-etcd-config.yaml'), '/var/lib/rancher/k3s/server/db/etcd/config');
  assert.equal(config.values.name, 'coreos-master1-933c287a');
  assert.equal(config.values.certFile, '/var/lib/rancher/k3s/server/tls/etcd/server-client.crt');
  assert.equal(config.values.peerTrustedCaFile, '/var/lib/rancher/k3s/server/tls/etcd/peer-ca.crt');
  assert.equal(config.values.clientCertAuth, 'true');
  assert.equal(config.values.initialAdvertisePeerUrls, undefined);
  assert.ok(config.keys.includes('socket-options'));
  assert.throws(() => parseEtcdConfigFile('name: [a\n', '/c', 'h1'), /etcd config file \/c:\d+:\d+: not valid YAML/);
  assert.throws(() => parseEtcdConfigFile('- a\n', '/c'), /expected a YAML mapping of etcd settings/);
});
