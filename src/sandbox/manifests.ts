// kubeadm-shaped static pod manifests for a sandbox node. The flags are kubeadm's, and
// every path is the real absolute path inside the node's folder, so whatever reads a
// manifest (the runner, the restore actions, an operator) finds the truth there.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse, stringify } from 'yaml';
import { InputError } from '../errors.js';
import {
  API_SERVER_PORT,
  COMPONENTS,
  ETCD_CLIENT_PORT,
  ETCD_METRICS_PORT,
  ETCD_PEER_PORT,
  manifestPath,
  pathsOfNode,
  type Component,
  type SandboxNode,
} from './layout.js';
import { storageMediaTypeFlags, type StorageMediaType } from './cluster-state/storage-media-type.js';

export interface ManifestOptions {
  /** kube-apiserver's --storage-media-type; the flag is written only for JSON (protobuf is the default). */
  storageMediaType?: StorageMediaType;
}

export const KUBERNETES_VERSION = 'v1.32.4';
export const ETCD_IMAGE_VERSION = '3.4.23-0'; // the etcd the sandbox really runs (Debian's)
export const INITIAL_CLUSTER_TOKEN = 'sandbox';

const IMAGES: Record<Component, string> = {
  etcd: `registry.k8s.io/etcd:${ETCD_IMAGE_VERSION}`,
  'kube-apiserver': `registry.k8s.io/kube-apiserver:${KUBERNETES_VERSION}`,
  'kube-controller-manager': `registry.k8s.io/kube-controller-manager:${KUBERNETES_VERSION}`,
  'kube-scheduler': `registry.k8s.io/kube-scheduler:${KUBERNETES_VERSION}`,
};

export function peerUrlOf(node: SandboxNode): string {
  return `https://${node.ip}:${ETCD_PEER_PORT}`;
}

export function clientUrlOf(node: SandboxNode): string {
  return `https://${node.ip}:${ETCD_CLIENT_PORT}`;
}

export function apiServerUrlOf(node: SandboxNode): string {
  return `https://${node.ip}:${API_SERVER_PORT}`;
}

function commandOf(component: Component, node: SandboxNode, cluster: SandboxNode[], options: ManifestOptions): string[] {
  const p = pathsOfNode(node.root);
  const etcdPki = (file: string) => `${p.etcdPkiDir}/${file}`;
  const pki = (file: string) => `${p.pkiDir}/${file}`;
  switch (component) {
    case 'etcd':
      return [
        'etcd',
        `--name=${node.name}`,
        `--data-dir=${p.dataDir}`,
        `--listen-client-urls=${clientUrlOf(node)}`,
        `--advertise-client-urls=${clientUrlOf(node)}`,
        `--listen-peer-urls=${peerUrlOf(node)}`,
        `--initial-advertise-peer-urls=${peerUrlOf(node)}`,
        `--initial-cluster=${cluster.map((n) => `${n.name}=${peerUrlOf(n)}`).join(',')}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=${INITIAL_CLUSTER_TOKEN}`,
        '--client-cert-auth=true',
        `--trusted-ca-file=${etcdPki('ca.crt')}`,
        `--cert-file=${etcdPki('server.crt')}`,
        `--key-file=${etcdPki('server.key')}`,
        '--peer-client-cert-auth=true',
        `--peer-trusted-ca-file=${etcdPki('ca.crt')}`,
        `--peer-cert-file=${etcdPki('peer.crt')}`,
        `--peer-key-file=${etcdPki('peer.key')}`,
        '--snapshot-count=10000',
        `--listen-metrics-urls=http://${node.ip}:${ETCD_METRICS_PORT}`,
      ];
    case 'kube-apiserver':
      return [
        'kube-apiserver',
        `--advertise-address=${node.ip}`,
        `--secure-port=${API_SERVER_PORT}`,
        `--etcd-servers=${clientUrlOf(node)}`,
        `--etcd-cafile=${etcdPki('ca.crt')}`,
        `--etcd-certfile=${pki('apiserver-etcd-client.crt')}`,
        `--etcd-keyfile=${pki('apiserver-etcd-client.key')}`,
        `--tls-cert-file=${pki('apiserver.crt')}`,
        `--tls-private-key-file=${pki('apiserver.key')}`,
        `--client-ca-file=${pki('ca.crt')}`,
        '--etcd-prefix=/registry',
        ...(options.storageMediaType ? storageMediaTypeFlags(options.storageMediaType) : []),
      ];
    case 'kube-controller-manager':
      return [
        'kube-controller-manager',
        `--kubeconfig=${p.kubeconfig}`,
        '--bind-address=127.0.0.1',
        '--leader-elect=true',
        `--root-ca-file=${pki('ca.crt')}`,
        `--cluster-signing-cert-file=${pki('ca.crt')}`,
        `--cluster-signing-key-file=${pki('ca.key')}`,
      ];
    case 'kube-scheduler':
      return ['kube-scheduler', `--kubeconfig=${p.kubeconfig}`, '--bind-address=127.0.0.1', '--leader-elect=true'];
  }
}

function volumesOf(component: Component, node: SandboxNode): Array<{ name: string; path: string }> {
  const p = pathsOfNode(node.root);
  if (component === 'etcd') return [{ name: 'etcd-certs', path: p.etcdPkiDir }, { name: 'etcd-data', path: p.dataDir }];
  if (component === 'kube-apiserver') return [{ name: 'k8s-certs', path: p.pkiDir }];
  return [{ name: 'kubeconfig', path: p.kubeconfig }];
}

/** The Pod object kubeadm would write for `component` on `node`. */
export function buildManifest(component: Component, node: SandboxNode, cluster: SandboxNode[], options: ManifestOptions = {}): Record<string, unknown> {
  const volumes = volumesOf(component, node);
  const annotations: Record<string, string> =
    component === 'etcd'
      ? { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': clientUrlOf(node) }
      : component === 'kube-apiserver'
        ? { 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${node.ip}:${API_SERVER_PORT}` }
        : {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      annotations,
      labels: { component, tier: 'control-plane' },
      name: component,
      namespace: 'kube-system',
    },
    spec: {
      containers: [
        {
          command: commandOf(component, node, cluster, options),
          image: IMAGES[component],
          imagePullPolicy: 'IfNotPresent',
          name: component,
          volumeMounts: volumes.map((v) => ({ mountPath: v.path, name: v.name })),
        },
      ],
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      volumes: volumes.map((v) => ({ hostPath: { path: v.path, type: 'DirectoryOrCreate' }, name: v.name })),
    },
  };
}

/** Writes the four manifests of a node; returns their paths. */
export async function writeNodeManifests(node: SandboxNode, cluster: SandboxNode[], options: ManifestOptions = {}): Promise<string[]> {
  await mkdir(pathsOfNode(node.root).manifestsDir, { recursive: true });
  return Promise.all(
    COMPONENTS.map(async (component) => {
      const file = manifestPath(node.root, component);
      await writeFile(file, stringify(buildManifest(component, node, cluster, options)));
      return file;
    }),
  );
}

/** What the runner needs from a static pod manifest. */
export interface StaticPod {
  file: string;
  /** metadata.name, e.g. etcd (the kubelet appends the node name for the pod name). */
  name: string;
  namespace: string;
  container: string;
  image: string;
  /** command followed by args, as the container would run them. */
  argv: string[];
}

/** Reads a static pod manifest; a file that is not a usable Pod is an InputError naming it. */
export function parseManifest(text: string, file: string): StaticPod {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new InputError([{ file, message: `not valid YAML: ${(error as Error).message}` }]);
  }
  const pod = doc as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; spec?: { containers?: unknown } };
  const fail = (path: string, message: string) => new InputError([{ file, path, message }]);
  if (!pod || typeof pod !== 'object' || pod.kind !== 'Pod') throw fail('kind', 'expected a Pod manifest');
  const name = pod.metadata?.name;
  if (typeof name !== 'string' || !name) throw fail('metadata.name', 'expected the pod name');
  const containers = pod.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) throw fail('spec.containers', 'expected at least one container');
  const c = containers[0] as { name?: unknown; image?: unknown; command?: unknown; args?: unknown };
  const strings = (v: unknown) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined);
  const argv = [...(strings(c.command) ?? []), ...(strings(c.args) ?? [])];
  if (argv.length === 0) throw fail('spec.containers[0].command', 'expected the command to run (a list of strings)');
  return {
    file,
    name,
    namespace: typeof pod.metadata?.namespace === 'string' ? pod.metadata.namespace : 'default',
    container: typeof c.name === 'string' && c.name ? c.name : basename(file).replace(/\.(ya?ml|json)$/, ''),
    image: typeof c.image === 'string' ? c.image : 'unknown',
    argv,
  };
}

export async function readManifest(file: string): Promise<StaticPod> {
  return parseManifest(await readFile(file, 'utf8'), file);
}
