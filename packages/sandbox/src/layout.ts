// Where everything of a sandbox lives (the layout contract shared by the sandbox
// modules and the lead). Every path is derived here, in one place, so the runner,
// the crictl stand-in, the manifests and the inventory can never disagree.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SandboxNode {
  /** node1, node2, ... (masters); worker1, worker2, ... (workers) */
  name: string;
  /** Its own loopback address, e.g. 127.0.0.11. */
  ip: string;
  /** <dir>/<name>: the node's "/" */
  root: string;
}

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const ETCD_METRICS_PORT = 2381;
export const API_SERVER_PORT = 6443;
export const DEFAULT_IP_PREFIX = '127.0.0.';

/** The four control-plane components, in the order kubeadm lists them. */
export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
export type Component = (typeof COMPONENTS)[number];

/**
 * Workers of a sandbox when `--workers` is not given: as many as the seeded cluster state
 * has Node objects for (worker1 and worker2, cluster-state/seed.ts).
 */
export const DEFAULT_WORKERS = 2;

export function nameNode(index: number): string {
  return `node${index}`;
}

export function nameWorker(index: number): string {
  return `worker${index}`;
}

/** Master i (1-based) gets <prefix><10+i>: 127.0.0.11, .12, ... */
export function addressNode(ipPrefix: string, index: number): string {
  return `${ipPrefix}${10 + index}`;
}

/** Worker i (1-based) gets <prefix><20+i>: 127.0.0.21, .22, ... */
export function addressWorker(ipPrefix: string, index: number): string {
  return `${ipPrefix}${20 + index}`;
}

export function planNodes(dir: string, count: number, ipPrefix: string = DEFAULT_IP_PREFIX): SandboxNode[] {
  return Array.from({ length: count }, (_, i) => {
    const name = nameNode(i + 1);
    return { name, ip: addressNode(ipPrefix, i + 1), root: join(dir, name) };
  });
}

export function planWorkers(dir: string, count: number, ipPrefix: string = DEFAULT_IP_PREFIX): SandboxNode[] {
  return Array.from({ length: count }, (_, i) => {
    const name = nameWorker(i + 1);
    return { name, ip: addressWorker(ipPrefix, i + 1), root: join(dir, name) };
  });
}

/** The names of a sandbox's node folders (masters and workers) under its --dir. */
export const NODE_FOLDER = /^(node|worker)\d+$/;

export interface NodePaths {
  root: string;
  kubernetesDir: string;
  manifestsDir: string;
  /** Outside the manifests folder: a copy left inside would be run by the kubelet. */
  stashDir: string;
  pkiDir: string;
  etcdPkiDir: string;
  /** admin.conf: the kubeconfig an operator uses on a master. */
  kubeconfig: string;
  /** super-admin.conf (the `kubeadm init` master only), controller-manager.conf, scheduler.conf, kubelet.conf. */
  superAdminConf: string;
  controllerManagerConf: string;
  schedulerConf: string;
  kubeletConf: string;
  /** /var/lib/kubelet/pki: the kubelet's client pair (kubelet.conf points at it). */
  kubeletPkiDir: string;
  /** The flexvolume plugin dir kubeadm mounts into the controller-manager. */
  flexvolumeDir: string;
  dataDir: string;
  logsDir: string;
  runDir: string;
  containersFile: string;
  /** run/kubelet.json: the kubelet stand-in's start and restarts (see runner/kubelet-state.ts). */
  kubeletStateFile: string;
  binDir: string;
  crictl: string;
  /** bin/kubelet-restart: the node's `systemctl restart kubelet`. */
  kubeletRestart: string;
}

export function pathsOfNode(root: string): NodePaths {
  const kubernetesDir = join(root, 'etc', 'kubernetes');
  const pkiDir = join(kubernetesDir, 'pki');
  const runDir = join(root, 'run');
  const binDir = join(root, 'bin');
  return {
    root,
    kubernetesDir,
    manifestsDir: join(kubernetesDir, 'manifests'),
    stashDir: join(kubernetesDir, 'manifests-stash'),
    pkiDir,
    etcdPkiDir: join(pkiDir, 'etcd'),
    kubeconfig: join(kubernetesDir, 'admin.conf'),
    superAdminConf: join(kubernetesDir, 'super-admin.conf'),
    controllerManagerConf: join(kubernetesDir, 'controller-manager.conf'),
    schedulerConf: join(kubernetesDir, 'scheduler.conf'),
    kubeletConf: join(kubernetesDir, 'kubelet.conf'),
    kubeletPkiDir: join(root, 'var', 'lib', 'kubelet', 'pki'),
    flexvolumeDir: join(root, 'usr', 'libexec', 'kubernetes', 'kubelet-plugins', 'volume', 'exec'),
    dataDir: join(root, 'var', 'lib', 'etcd'),
    logsDir: join(root, 'var', 'log', 'pods'),
    runDir,
    containersFile: join(runDir, 'containers.json'),
    kubeletStateFile: join(runDir, 'kubelet.json'),
    binDir,
    crictl: join(binDir, 'crictl'),
    kubeletRestart: join(binDir, 'kubelet-restart'),
  };
}

export function manifestPath(root: string, component: Component): string {
  return join(pathsOfNode(root).manifestsDir, `${component}.yaml`);
}

export interface SandboxFiles {
  info: string;
  inventory: string;
}

export function filesOfSandbox(dir: string): SandboxFiles {
  return { info: join(dir, 'sandbox.json'), inventory: join(dir, 'inventory.yaml') };
}

/** True when this code runs from the TypeScript sources (tsx), not from the package's dist/. */
export function runningFromSource(): boolean {
  return import.meta.url.endsWith('.ts');
}

/** The folder this code runs from (the package's dist/src, or its src under tsx). */
export function codeDirOf(): string {
  return fileURLToPath(new URL('.', import.meta.url));
}

/** The sandbox's own node programs, started as processes of their own. */
export type SandboxEntry = 'runner/main' | 'crictl/main' | 'apiserver/main';

/**
 * The argv that starts one of the sandbox's own node programs (runner, crictl, apiserver).
 * The file is found beside this one, inside the package (dist/ once built, wherever the
 * package is installed); from the sources (tests under tsx) it is the .ts file through
 * tsx's loader, so no build is needed.
 */
export function commandOfEntry(entry: SandboxEntry): string[] {
  if (!runningFromSource()) return [process.execPath, fileURLToPath(new URL(`./${entry}.js`, import.meta.url))];
  return [process.execPath, '--import', import.meta.resolve('tsx'), fileURLToPath(new URL(`./${entry}.ts`, import.meta.url))];
}
