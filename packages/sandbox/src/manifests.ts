// The four static pod manifests of a sandbox master, as kubeadm 1.32 writes them:
// cmd/kubeadm/app/phases/etcd/local.go (getEtcdCommand, GetEtcdPodSpec) and
// cmd/kubeadm/app/phases/controlplane/{manifests,volumes}.go, for a ClusterConfiguration
// with podSubnet 10.244.0.0/16 (the seeded nodes' pod CIDRs), the default service subnet
// and etcd.local.imageTag set to the etcd the sandbox really runs. Same flags, same
// order, same probes, resources, labels, annotations and volumes, checked against real
// kubeadm manifests (test/sandbox/manifests-kubeadm.test.ts, fixtures/kubeadm/).
//
// The deviations, all forced by several nodes sharing one machine:
// - Where kubeadm writes 127.0.0.1 for the node itself (etcd's first --listen-client-urls
//   entry and --listen-metrics-urls, kube-apiserver's --etcd-servers, the controller-
//   manager's and scheduler's --bind-address, and the probes' host), the node's own
//   loopback address stands in: every node's etcd cannot bind 127.0.0.1:2379. etcd binds
//   the repeated client URL once.
// - Every path kubeadm or the kubelet owns (/etc/kubernetes/..., /var/lib/etcd, the
//   flexvolume dir) is that path inside the node's folder, its "/". The system CA folders
//   (/etc/ssl/certs and the ones kubeadm adds when they exist) are the machine's own.

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { API_SERVER_PORT, ETCD_CLIENT_PORT, ETCD_METRICS_PORT, ETCD_PEER_PORT, manifestPath, pathsOfNode, type Component, type SandboxNode } from './layout.js';
import { argumentsToCommand, componentPod, livenessProbe, readinessProbe, serializeStaticPod, startupProbe, type HostPathMount } from './static-pod.js';
import { JSON_MEDIA_TYPE, type StorageMediaType } from './cluster-state/storage-media-type.js';

export const KUBERNETES_VERSION = 'v1.32.4';
/** The etcd image tag when the etcd binary cannot tell its version: Debian bookworm's. */
export const DEFAULT_ETCD_IMAGE_TAG = '3.4.23-0';
export const SERVICE_SUBNET = '10.96.0.0/12';
export const POD_SUBNET = '10.244.0.0/16';
const KUBE_SCHEDULER_PORT = 10259;
const KUBE_CONTROLLER_MANAGER_PORT = 10257;

/** kubeadm's caCertsExtraVolumePaths: mounted beside /etc/ssl/certs when they exist on the machine. */
const CA_CERTS_EXTRA_PATHS = ['/etc/pki/ca-trust', '/etc/pki/tls/certs', '/etc/ca-certificates', '/usr/share/ca-certificates', '/usr/local/share/ca-certificates'];

export interface EtcdMember {
  name: string;
  peerUrl: string;
}

export interface ManifestOptions {
  /** For a `kubeadm join --control-plane` master: the members `member add` returned, itself included. */
  joinCluster?: EtcdMember[];
  /** The tag of the etcd image (kubeadm's etcd.local.imageTag), e.g. 3.4.23-0. */
  etcdImageTag?: string;
  /** The system CA folders present on the machine (default: looked up, as kubeadm does). */
  caCertDirs?: string[];
  /**
   * kube-apiserver's --storage-media-type. Written only for JSON: protobuf is the API
   * server's default, which a kubeadm manifest never spells out; JSON comes from
   * ClusterConfiguration apiServer.extraArgs, merged into the sorted flag list.
   */
  storageMediaType?: StorageMediaType;
}

export function peerUrlOf(node: SandboxNode): string {
  return `https://${node.ip}:${ETCD_PEER_PORT}`;
}

export function clientUrlOf(node: SandboxNode): string {
  return `https://${node.ip}:${ETCD_CLIENT_PORT}`;
}

export function apiServerUrlOf(node: SandboxNode): string {
  return `https://${node.ip}:${API_SERVER_PORT}`;
}

/** What stands in for the node's 127.0.0.1 (see the header). */
function localhostOf(node: SandboxNode): string {
  return node.ip;
}

export function presentCaCertDirs(): string[] {
  return CA_CERTS_EXTRA_PATHS.filter((path) => existsSync(path));
}

/** The CA folders' volumes, named as kubeadm names them (/etc/pki/ca-trust → etc-pki-ca-trust). */
function caCertMounts(dirs: string[]): HostPathMount[] {
  return [
    { name: 'ca-certs', path: '/etc/ssl/certs', type: 'DirectoryOrCreate', readOnly: true },
    ...dirs.map((path) => ({ name: path.replaceAll('/', '-').slice(1), path, type: 'DirectoryOrCreate' as const, readOnly: true })),
  ];
}

function etcdPod(node: SandboxNode, options: ManifestOptions): Record<string, unknown> {
  const p = pathsOfNode(node.root);
  const etcdPki = (file: string) => `${p.etcdPkiDir}/${file}`;
  const local = localhostOf(node);
  const args: Record<string, string> = {
    name: node.name,
    'experimental-initial-corrupt-check': 'true',
    'listen-client-urls': `https://${local}:${ETCD_CLIENT_PORT},${clientUrlOf(node)}`,
    'advertise-client-urls': clientUrlOf(node),
    'listen-peer-urls': peerUrlOf(node),
    'initial-advertise-peer-urls': peerUrlOf(node),
    'data-dir': p.dataDir,
    'cert-file': etcdPki('server.crt'),
    'key-file': etcdPki('server.key'),
    'trusted-ca-file': etcdPki('ca.crt'),
    'client-cert-auth': 'true',
    'peer-cert-file': etcdPki('peer.crt'),
    'peer-key-file': etcdPki('peer.key'),
    'peer-trusted-ca-file': etcdPki('ca.crt'),
    'peer-client-cert-auth': 'true',
    'snapshot-count': '10000',
    'listen-metrics-urls': `http://${local}:${ETCD_METRICS_PORT}`,
    'experimental-watch-progress-notify-interval': '5s',
  };
  const join = options.joinCluster ?? [];
  if (join.length === 0) {
    args['initial-cluster'] = `${node.name}=${peerUrlOf(node)}`;
  } else {
    args['initial-cluster'] = join.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    args['initial-cluster-state'] = 'existing';
  }
  const probe = { host: local, port: ETCD_METRICS_PORT, scheme: 'HTTP' as const };
  return componentPod({
    name: 'etcd',
    command: ['etcd', ...argumentsToCommand(args)],
    image: `registry.k8s.io/etcd:${options.etcdImageTag ?? DEFAULT_ETCD_IMAGE_TAG}`,
    livenessProbe: livenessProbe(probe, '/livez'),
    readinessProbe: readinessProbe(probe, '/readyz'),
    startupProbe: startupProbe(probe, '/readyz'),
    requests: { cpu: '100m', memory: '100Mi' },
    mounts: [
      { name: 'etcd-data', path: p.dataDir, type: 'DirectoryOrCreate', readOnly: false },
      { name: 'etcd-certs', path: p.etcdPkiDir, type: 'DirectoryOrCreate', readOnly: false },
    ],
    keepMountOrder: true,
    annotations: { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': clientUrlOf(node) },
  });
}

function apiServerPod(node: SandboxNode, options: ManifestOptions): Record<string, unknown> {
  const p = pathsOfNode(node.root);
  const pki = (file: string) => `${p.pkiDir}/${file}`;
  const args: Record<string, string> = {
    'advertise-address': node.ip,
    'allow-privileged': 'true',
    'authorization-mode': 'Node,RBAC',
    'client-ca-file': pki('ca.crt'),
    'enable-admission-plugins': 'NodeRestriction',
    'enable-bootstrap-token-auth': 'true',
    'etcd-cafile': pki('etcd/ca.crt'),
    'etcd-certfile': pki('apiserver-etcd-client.crt'),
    'etcd-keyfile': pki('apiserver-etcd-client.key'),
    // Stacked etcd: each API server talks to its own member only.
    'etcd-servers': `https://${localhostOf(node)}:${ETCD_CLIENT_PORT}`,
    'kubelet-client-certificate': pki('apiserver-kubelet-client.crt'),
    'kubelet-client-key': pki('apiserver-kubelet-client.key'),
    'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
    'proxy-client-cert-file': pki('front-proxy-client.crt'),
    'proxy-client-key-file': pki('front-proxy-client.key'),
    'requestheader-allowed-names': 'front-proxy-client',
    'requestheader-client-ca-file': pki('front-proxy-ca.crt'),
    'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
    'requestheader-group-headers': 'X-Remote-Group',
    'requestheader-username-headers': 'X-Remote-User',
    'secure-port': String(API_SERVER_PORT),
    'service-account-issuer': 'https://kubernetes.default.svc.cluster.local',
    'service-account-key-file': pki('sa.pub'),
    'service-account-signing-key-file': pki('sa.key'),
    'service-cluster-ip-range': SERVICE_SUBNET,
    'tls-cert-file': pki('apiserver.crt'),
    'tls-private-key-file': pki('apiserver.key'),
    ...(options.storageMediaType === JSON_MEDIA_TYPE ? { 'storage-media-type': JSON_MEDIA_TYPE } : {}),
  };
  // kubeadm probes the API server on its advertise address, not on localhost.
  const probe = { host: node.ip, port: API_SERVER_PORT, scheme: 'HTTPS' as const };
  return componentPod({
    name: 'kube-apiserver',
    command: ['kube-apiserver', ...argumentsToCommand(args)],
    image: `registry.k8s.io/kube-apiserver:${KUBERNETES_VERSION}`,
    livenessProbe: livenessProbe(probe, '/livez'),
    readinessProbe: readinessProbe(probe, '/readyz'),
    startupProbe: startupProbe(probe, '/livez'),
    requests: { cpu: '250m' },
    mounts: [{ name: 'k8s-certs', path: p.pkiDir, type: 'DirectoryOrCreate', readOnly: true }, ...caCertMounts(options.caCertDirs ?? presentCaCertDirs())],
    annotations: { 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${node.ip}:${API_SERVER_PORT}` },
  });
}

function controllerManagerPod(node: SandboxNode, options: ManifestOptions): Record<string, unknown> {
  const p = pathsOfNode(node.root);
  const pki = (file: string) => `${p.pkiDir}/${file}`;
  const args: Record<string, string> = {
    'allocate-node-cidrs': 'true',
    'authentication-kubeconfig': p.controllerManagerConf,
    'authorization-kubeconfig': p.controllerManagerConf,
    'bind-address': localhostOf(node),
    'client-ca-file': pki('ca.crt'),
    'cluster-cidr': POD_SUBNET,
    'cluster-name': 'kubernetes',
    'cluster-signing-cert-file': pki('ca.crt'),
    'cluster-signing-key-file': pki('ca.key'),
    controllers: '*,bootstrapsigner,tokencleaner',
    kubeconfig: p.controllerManagerConf,
    'leader-elect': 'true',
    'requestheader-client-ca-file': pki('front-proxy-ca.crt'),
    'root-ca-file': pki('ca.crt'),
    'service-account-private-key-file': pki('sa.key'),
    'service-cluster-ip-range': SERVICE_SUBNET,
    'use-service-account-credentials': 'true',
  };
  const probe = { host: localhostOf(node), port: KUBE_CONTROLLER_MANAGER_PORT, scheme: 'HTTPS' as const };
  return componentPod({
    name: 'kube-controller-manager',
    command: ['kube-controller-manager', ...argumentsToCommand(args)],
    image: `registry.k8s.io/kube-controller-manager:${KUBERNETES_VERSION}`,
    livenessProbe: livenessProbe(probe, '/healthz'),
    startupProbe: startupProbe(probe, '/healthz'),
    requests: { cpu: '200m' },
    mounts: [
      { name: 'k8s-certs', path: p.pkiDir, type: 'DirectoryOrCreate', readOnly: true },
      { name: 'kubeconfig', path: p.controllerManagerConf, type: 'FileOrCreate', readOnly: true },
      // Not read-only: third-party storage plugins talk through sockets there.
      { name: 'flexvolume-dir', path: p.flexvolumeDir, type: 'DirectoryOrCreate', readOnly: false },
      ...caCertMounts(options.caCertDirs ?? presentCaCertDirs()),
    ],
  });
}

function schedulerPod(node: SandboxNode): Record<string, unknown> {
  const p = pathsOfNode(node.root);
  const args: Record<string, string> = {
    'authentication-kubeconfig': p.schedulerConf,
    'authorization-kubeconfig': p.schedulerConf,
    'bind-address': localhostOf(node),
    kubeconfig: p.schedulerConf,
    'leader-elect': 'true',
  };
  const probe = { host: localhostOf(node), port: KUBE_SCHEDULER_PORT, scheme: 'HTTPS' as const };
  return componentPod({
    name: 'kube-scheduler',
    command: ['kube-scheduler', ...argumentsToCommand(args)],
    image: `registry.k8s.io/kube-scheduler:${KUBERNETES_VERSION}`,
    livenessProbe: livenessProbe(probe, '/livez'),
    readinessProbe: readinessProbe(probe, '/readyz'),
    startupProbe: startupProbe(probe, '/livez'),
    requests: { cpu: '100m' },
    mounts: [{ name: 'kubeconfig', path: p.schedulerConf, type: 'FileOrCreate', readOnly: true }],
  });
}

/** The Pod object kubeadm would write for `component` on `node`. */
export function buildManifest(component: Component, node: SandboxNode, options: ManifestOptions = {}): Record<string, unknown> {
  switch (component) {
    case 'etcd':
      return etcdPod(node, options);
    case 'kube-apiserver':
      return apiServerPod(node, options);
    case 'kube-controller-manager':
      return controllerManagerPod(node, options);
    case 'kube-scheduler':
      return schedulerPod(node);
  }
}

/** Writes the given manifests of a node (kubeadm's file mode 0600); returns their paths. */
export async function writeNodeManifests(node: SandboxNode, components: readonly Component[], options: ManifestOptions = {}): Promise<string[]> {
  await mkdir(pathsOfNode(node.root).manifestsDir, { recursive: true });
  return Promise.all(
    components.map(async (component) => {
      const file = manifestPath(node.root, component);
      await writeFile(file, serializeStaticPod(buildManifest(component, node, options)), { mode: 0o600 });
      return file;
    }),
  );
}
