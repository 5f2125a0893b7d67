// One host's etcd member, as the host itself configures it, whatever the layout: a
// kubeadm (or minikube) static pod, an RKE2 static pod that carries only --config-file,
// or a systemd unit with an environment file (kubespray, Debian's etcd-server). These
// facts are authoritative for that host: its name, peer and client URLs, the data dir
// etcd uses and the dir on the host behind it, who must own it, its quota and version.
// Pure: the files are read beforehand (layout-discovery.ts). A value etcd would take
// from its own defaults is named as such; a value drbook cannot know is a refusal, never
// an empty string (which would render `--name ''`). The systemd layout's reading is in
// member-facts-systemd.ts.

import { posix } from 'node:path';
import type { EtcdConfigFile } from './etcd-config-file.js';
import { parseQuota, splitList, type EtcdSettings, type QuotaSetting } from './etcd-settings.js';
import { hostPathOf, type PodFacts } from './manifest-pod.js';

export type EtcdLayoutKind = 'kubeadm' | 'minikube' | 'rke2' | 'static-pod' | 'systemd';

export interface EtcdTlsFiles {
  trustedCaFile?: string;
  certFile?: string;
  keyFile?: string;
  peerTrustedCaFile?: string;
  peerCertFile?: string;
  peerKeyFile?: string;
  clientCertAuth: boolean;
}

export interface EtcdMemberFacts {
  layout: EtcdLayoutKind;
  /** One line for the plan: "kubeadm static pod /etc/kubernetes/manifests/etcd.yaml". */
  configuredBy: string;
  /** Every file the facts were read from (host paths). */
  files: string[];
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  /** --data-dir as etcd sees it (inside its container for static pods). */
  dataDir: string;
  /** The dir on the host behind dataDir: the one a restore must replace. */
  hostDataDir: string;
  initialCluster?: string;
  initialClusterState?: string;
  initialClusterToken?: string;
  /** TLS files as host paths. */
  tls: EtcdTlsFiles;
  /**
   * A client cert pair that layout puts beside etcd's CA, for asking the live cluster
   * (probeLiveMembershipVia): kubeadm's healthcheck-client, RKE2's client pair, the
   * ETCDCTL_* of kubespray's etcd.env. Not checked for existence here.
   */
  client?: { caFile: string; certFile: string; keyFile: string; from: string };
  /** The SELinux type the pod asks for (RKE2: rke2_service_db_t): the restored dir needs a matching context. */
  seLinuxType?: string;
  /** Who etcd runs as: the restored dir must be owned by them. */
  owner: { uid?: number; gid?: number; user?: string; group?: string; from: string };
  quota: QuotaSetting & { from: string };
  image?: string;
  /** The etcd that runs: from the image tag, or the binary's --version (filled in by discovery). */
  version?: { version: string; from: string };
  /** The static pod manifest (static-pod layouts). */
  manifestFile?: string;
  /** The systemd unit and the binary it starts (systemd layout). */
  unit?: string;
  binary?: string;
  /** Where each member value came from ("--name in /etc/kubernetes/manifests/etcd.yaml", "etcd's default"). */
  origin: { name: string; peerUrls: string; clientUrls: string; dataDir: string };
  /** Things a plan should show (defaults taken, ignored flags, files kept inside the data dir). */
  notes: string[];
}

export type MemberFactsResult = { ok: true; facts: EtcdMemberFacts } | { ok: false; problem: string };

/** Where the settings came from, for origins and notes. */
export interface SettingsSource {
  values: EtcdSettings;
  /** "--name in X" / "ETCD_NAME in X" / "name in X" */
  describe: (flag: string) => string;
}

export function resolveMember(
  source: SettingsSource,
  fallback: EtcdSettings,
  fallbackWhere: string,
  what: string,
):
  | { ok: false; problem: string }
  | {
      ok: true;
      name: string;
      peerUrls: string[];
      clientUrls: string[];
      dataDir: string;
      origin: EtcdMemberFacts['origin'];
      notes: string[];
    } {
  const notes: string[] = [];
  const pick = (key: keyof EtcdSettings, flag: string) =>
    source.values[key] ? { value: source.values[key]!, where: source.describe(flag) } : fallback[key] ? { value: fallback[key]!, where: `${flag} in ${fallbackWhere}` } : undefined;
  const name = pick('name', 'name');
  if (!name) return { ok: false, problem: `${what} sets no member name (${source.describe('name')} is missing): etcd would run as "default"; drbook does not guess a member name` };
  const dataDir = pick('dataDir', 'data-dir');
  if (!dataDir) return { ok: false, problem: `${what} sets no data dir (${source.describe('data-dir')} is missing): etcd would use "${name.value}.etcd" relative to its working dir` };
  let peer = pick('initialAdvertisePeerUrls', 'initial-advertise-peer-urls');
  if (!peer) {
    peer = { value: 'http://localhost:2380', where: "etcd's default (no initial-advertise-peer-urls)" };
    notes.push(`${what} sets no initial-advertise-peer-urls: etcd advertises http://localhost:2380, which no other member can reach (give the peer URL in the inventory for a multi-member restore)`);
  }
  let client = pick('advertiseClientUrls', 'advertise-client-urls');
  if (!client) {
    client = { value: 'http://localhost:2379', where: "etcd's default (no advertise-client-urls)" };
    notes.push(`${what} sets no advertise-client-urls: etcd advertises http://localhost:2379`);
  }
  return {
    ok: true,
    name: name.value,
    dataDir: dataDir.value,
    peerUrls: splitList(peer.value),
    clientUrls: splitList(client.value),
    notes,
    origin: { name: name.where, dataDir: dataDir.where, peerUrls: peer.where, clientUrls: client.where },
  };
}

export function tlsOf(values: EtcdSettings, toHost: (path: string) => string): EtcdTlsFiles {
  const map = (path: string | undefined) => (path ? toHost(path) : undefined);
  return {
    trustedCaFile: map(values.trustedCaFile),
    certFile: map(values.certFile),
    keyFile: map(values.keyFile),
    peerTrustedCaFile: map(values.peerTrustedCaFile),
    peerCertFile: map(values.peerCertFile),
    peerKeyFile: map(values.peerKeyFile),
    clientCertAuth: values.clientCertAuth === 'true' || values.clientCertAuth === '',
  };
}

export interface StaticPodInput {
  manifest: { file: string; flags: Record<string, string>; values: EtcdSettings; pod: PodFacts };
  /** The config file named by --config-file, read from its host path (undefined: the manifest has none). */
  configFile?: EtcdConfigFile;
  /** The etcd version read from the image tag (version-skew.ts versionOfImage), if any. */
  imageVersion?: string;
}

/** RKE2 keeps the member's initial options in this annotation and writes them into the config file at each start. */
export const RKE2_INITIAL_ANNOTATION = 'etcd.k3s.io/initial';

/** The host path of the config file a static pod's --config-file names (null: not on a hostPath). */
export function configFileHostPath(manifest: StaticPodInput['manifest']): string | null {
  const path = manifest.flags['config-file'];
  if (!path) return null;
  return hostPathOf(manifest.pod, path)?.hostPath ?? null;
}

export function memberFactsFromStaticPod(input: StaticPodInput): MemberFactsResult {
  const { manifest, configFile } = input;
  const { pod } = manifest;
  const usesConfig = manifest.flags['config-file'] !== undefined;
  const rke2 = pod.annotations[RKE2_INITIAL_ANNOTATION] !== undefined || manifest.file.includes('/rancher/rke2/');
  if (usesConfig && !configFile) {
    return {
      ok: false,
      problem: `unsupported layout: etcd is configured by ${manifest.file} with --config-file=${manifest.flags['config-file']}, and that file ${configFileHostPath(manifest) ? 'was not read' : 'is on no hostPath volume of the pod'}`,
    };
  }
  const source: SettingsSource = configFile
    ? { values: configFile.values, describe: (flag) => `${flag} in ${configFile.file}` }
    : { values: manifest.values, describe: (flag) => `--${flag} in ${manifest.file}` };
  // RKE2's annotation is what it writes into the config file: a fallback for the initial options only.
  const fallback: EtcdSettings = {};
  let annotationProblem: string | undefined;
  const annotation = pod.annotations[RKE2_INITIAL_ANNOTATION];
  if (annotation !== undefined) {
    try {
      const initial = JSON.parse(annotation) as Record<string, unknown>;
      const text = (key: string) => (typeof initial[key] === 'string' && initial[key] ? (initial[key] as string) : undefined);
      fallback.initialAdvertisePeerUrls = text('initial-advertise-peer-urls');
      fallback.initialCluster = text('initial-cluster');
      fallback.initialClusterState = text('initial-cluster-state');
    } catch {
      annotationProblem = `the ${RKE2_INITIAL_ANNOTATION} annotation of ${manifest.file} is not JSON`;
    }
  }
  const what = configFile ? `${configFile.file} (the --config-file of ${manifest.file})` : manifest.file;
  const member = resolveMember(source, fallback, `the ${RKE2_INITIAL_ANNOTATION} annotation of ${manifest.file}`, what);
  if (!member.ok) return member;
  const data = hostPathOf(pod, member.dataDir);
  if (!data) {
    return { ok: false, problem: `${what}: the data dir ${member.dataDir} is on no hostPath volume of the pod: its data would live in the container's own filesystem, which drbook cannot restore` };
  }
  const notes = [...member.notes];
  if (annotationProblem) notes.push(annotationProblem);
  if (usesConfig) {
    const ignored = Object.keys(manifest.values).filter((key) => key !== 'configFile');
    if (ignored.length) notes.push(`${manifest.file} also passes flags (${ignored.join(', ')}) that etcd ignores because it reads ${configFile!.file}`);
    const configDir = posix.dirname(configFile!.file);
    if (configDir === data.hostPath || configFile!.file.startsWith(`${data.hostPath}/`)) {
      notes.push(
        `the etcd config file ${configFile!.file} lives inside the data dir ${data.hostPath}: a restore that replaces the dir must carry it over${rke2 ? ' (RKE2 also keeps the member name there, in db/etcd/name, and rewrites config when rke2-server starts)' : ''}`,
      );
    }
  }
  const toHost = (path: string) => hostPathOf(pod, path)?.hostPath ?? path;
  const values = { ...fallback, ...stripEmpty(source.values) };
  const layout: EtcdLayoutKind = rke2
    ? 'rke2'
    : data.hostPath.startsWith('/var/lib/minikube/')
      ? 'minikube'
      : pod.annotations['kubeadm.kubernetes.io/etcd.advertise-client-urls'] !== undefined || manifest.file.endsWith('/etc/kubernetes/manifests/etcd.yaml')
        ? 'kubeadm'
        : 'static-pod';
  const label = { kubeadm: 'kubeadm static pod', minikube: 'minikube (kubeadm) static pod', rke2: 'RKE2 static pod', 'static-pod': 'static pod', systemd: '' }[layout];
  const quota = parseQuota(values.quotaBackendBytes);
  return {
    ok: true,
    facts: {
      layout,
      configuredBy: `${label} ${manifest.file}${configFile ? ` with --config-file ${configFile.file}` : ''}`,
      files: [manifest.file, ...(configFile ? [configFile.file] : [])],
      name: member.name,
      peerUrls: member.peerUrls,
      clientUrls: member.clientUrls,
      dataDir: member.dataDir,
      hostDataDir: data.hostPath,
      initialCluster: values.initialCluster,
      initialClusterState: values.initialClusterState,
      initialClusterToken: values.initialClusterToken,
      tls: tlsOf(values, toHost),
      client: clientPairOf(layout, tlsOf(values, toHost)),
      seLinuxType: pod.seLinuxType,
      owner:
        pod.user.runAsUser !== undefined || pod.user.runAsGroup !== undefined
          ? { uid: pod.user.runAsUser, gid: pod.user.runAsGroup, from: `${pod.user.from} of ${manifest.file}` }
          : { uid: 0, gid: 0, from: `root: no runAsUser in ${manifest.file} (the etcd images run as root)` },
      quota: { ...quota, from: values.quotaBackendBytes ? source.describe('quota-backend-bytes') : "etcd's default (2 GiB)" },
      image: pod.image,
      version: input.imageVersion ? { version: input.imageVersion, from: `the image tag of ${pod.image}` } : undefined,
      manifestFile: manifest.file,
      origin: member.origin,
      notes: quota.problem ? [...notes, quota.problem] : notes,
    },
  };
}

/** The client pair a static-pod layout keeps beside etcd's CA. */
function clientPairOf(layout: EtcdLayoutKind, tls: EtcdTlsFiles): EtcdMemberFacts['client'] {
  if (!tls.trustedCaFile) return undefined;
  const dir = posix.dirname(tls.trustedCaFile);
  if (layout === 'rke2') return { caFile: tls.trustedCaFile, certFile: `${dir}/client.crt`, keyFile: `${dir}/client.key`, from: "RKE2's etcd client pair (kube-apiserver's) beside the CA" };
  if (layout === 'kubeadm' || layout === 'minikube') {
    return { caFile: tls.trustedCaFile, certFile: `${dir}/healthcheck-client.crt`, keyFile: `${dir}/healthcheck-client.key`, from: "kubeadm's healthcheck-client pair beside the CA" };
  }
  return undefined;
}

export function stripEmpty(values: EtcdSettings): EtcdSettings {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined && v !== '')) as EtcdSettings;
}
