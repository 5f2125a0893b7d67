// The kubeconfig files kubeadm 1.32 writes under /etc/kubernetes: admin.conf (user
// kubernetes-admin, group kubeadm:cluster-admins), super-admin.conf on the `kubeadm init`
// master only (kubernetes-super-admin, system:masters), controller-manager.conf and
// scheduler.conf with their embedded client pairs, and kubelet.conf, which points at the
// kubelet's own pair in /var/lib/kubelet/pki (every node, workers included). All 0600,
// written as clientcmd writes them (sorted keys, unindented lists). Without a
// controlPlaneEndpoint kubeadm points a master's files at its own API server. The kubelet
// of a node that joined (`kubeadm join`, masters after the first and workers) wrote its
// kubelet.conf itself after its TLS bootstrap: default-cluster/-context/-auth, and the
// API server it joined through (the first master's).

import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { pathsOfNode, type SandboxNode } from './layout.js';
import { apiServerUrlOf } from './manifests.js';

/** <base>.crt and <base>.key of each client, in the PKI work folder. */
export interface ClientPairs {
  kubelet: string;
  controllerManager?: string;
  scheduler?: string;
  superAdmin?: string;
}

type UserAuth = Record<string, string>;

function kubeconfigOf(server: string, caPem: Buffer, user: string, auth: UserAuth): string {
  return serialize({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': caPem.toString('base64'), server }, name: 'kubernetes' }],
    contexts: [{ context: { cluster: 'kubernetes', user }, name: `${user}@kubernetes` }],
    'current-context': `${user}@kubernetes`,
    kind: 'Config',
    preferences: {},
    users: [{ name: user, user: auth }],
  });
}

/** The kubelet.conf a kubelet writes after its TLS bootstrap (pkg/kubelet/certificate/bootstrap). */
function bootstrappedKubeconfigOf(server: string, caPem: Buffer, auth: UserAuth): string {
  return serialize({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': caPem.toString('base64'), server }, name: 'default-cluster' }],
    contexts: [{ context: { cluster: 'default-cluster', namespace: 'default', user: 'default-auth' }, name: 'default-context' }],
    'current-context': 'default-context',
    kind: 'Config',
    preferences: {},
    users: [{ name: 'default-auth', user: auth }],
  });
}

function serialize(config: Record<string, unknown>): string {
  return stringify(config, { sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}

async function embedded(base: string): Promise<UserAuth> {
  const [cert, key] = await Promise.all([readFile(`${base}.crt`), readFile(`${base}.key`)]);
  return { 'client-certificate-data': cert.toString('base64'), 'client-key-data': key.toString('base64') };
}

/** /var/lib/kubelet/pki/kubelet-client-current.pem (certificate then key) and the kubelet.conf user that points at it. */
async function kubeletClient(node: SandboxNode, base: string): Promise<UserAuth> {
  const { kubeletPkiDir } = pathsOfNode(node.root);
  await mkdir(kubeletPkiDir, { recursive: true, mode: 0o755 });
  const pem = join(kubeletPkiDir, 'kubelet-client-current.pem');
  const [cert, key] = await Promise.all([readFile(`${base}.crt`, 'utf8'), readFile(`${base}.key`, 'utf8')]);
  await writeFile(pem, cert + key, { mode: 0o600 });
  return { 'client-certificate': pem, 'client-key': pem };
}

const write = (file: string, text: string) => writeFile(file, text, { mode: 0o600 });

/**
 * A master's admin.conf (from pki/admin.*), controller-manager.conf, scheduler.conf and
 * kubelet.conf; on the `kubeadm init` master (joinedThrough undefined) also super-admin.conf.
 */
export async function writeNodeKubeconfigs(node: SandboxNode, pairs: ClientPairs, joinedThrough?: SandboxNode): Promise<void> {
  const p = pathsOfNode(node.root);
  const server = apiServerUrlOf(node);
  const ca = await readFile(join(p.pkiDir, 'ca.crt'));
  const kubelet = kubeletClient(node, pairs.kubelet).then((auth) =>
    write(p.kubeletConf, joinedThrough ? bootstrappedKubeconfigOf(apiServerUrlOf(joinedThrough), ca, auth) : kubeconfigOf(server, ca, `system:node:${node.name}`, auth)),
  );
  const files: Array<Promise<void>> = [embedded(join(p.pkiDir, 'admin')).then((auth) => write(p.kubeconfig, kubeconfigOf(server, ca, 'kubernetes-admin', auth))), kubelet];
  if (pairs.controllerManager) {
    files.push(embedded(pairs.controllerManager).then((auth) => write(p.controllerManagerConf, kubeconfigOf(server, ca, 'system:kube-controller-manager', auth))));
  }
  if (pairs.scheduler) files.push(embedded(pairs.scheduler).then((auth) => write(p.schedulerConf, kubeconfigOf(server, ca, 'system:kube-scheduler', auth))));
  if (pairs.superAdmin) files.push(embedded(pairs.superAdmin).then((auth) => write(p.superAdminConf, kubeconfigOf(server, ca, 'kubernetes-super-admin', auth))));
  await Promise.all(files);
}

/** A worker's kubelet.conf (`kubeadm join` on a worker writes nothing else there besides pki/ca.crt). */
export async function writeWorkerKubeconfig(node: SandboxNode, pairs: ClientPairs, joinedThrough: SandboxNode): Promise<void> {
  const p = pathsOfNode(node.root);
  const ca = await readFile(join(p.pkiDir, 'ca.crt'));
  await write(p.kubeletConf, bootstrappedKubeconfigOf(apiServerUrlOf(joinedThrough), ca, await kubeletClient(node, pairs.kubelet)));
}
