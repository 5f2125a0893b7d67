// What an etcd static pod says beyond its command line: which host dirs and files it
// mounts (the data dir a restore must replace is the hostPath behind --data-dir, not the
// path etcd sees inside its container), who the container runs as (the restored dir
// must be owned by that user), which image runs (its tag is the etcd version) and its
// annotations (RKE2 keeps the member's initial options in etcd.k3s.io/initial).

import { posix } from 'node:path';

export interface PodMount {
  /** Volume name. */
  name: string;
  /** Where the container sees it. */
  mountPath: string;
  /** The host path behind it; undefined for non-hostPath volumes (emptyDir, configMap...). */
  hostPath?: string;
  readOnly: boolean;
}

export interface PodUser {
  runAsUser?: number;
  runAsGroup?: number;
  /** Where the values came from: the container's securityContext overrides the pod's. */
  from: 'container securityContext' | 'pod securityContext' | 'not set (the image default: root for the etcd images)';
}

export interface PodFacts {
  /** The container's image reference, as written. */
  image?: string;
  /** The tag of the image (undefined for a digest-only reference). */
  imageTag?: string;
  mounts: PodMount[];
  user: PodUser;
  /** SELinux type the pod asks for (RKE2: rke2_service_db_t). */
  seLinuxType?: string;
  annotations: Record<string, string>;
  hostNetwork: boolean;
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asInt = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) ? value : undefined);

/** Pod facts from the parsed pod (plain JSON) and the index of the etcd container. */
export function readPodFacts(pod: unknown, containerIndex: number): PodFacts {
  const spec = asObject(asObject(pod).spec);
  const container = asObject(asArray(spec.containers)[containerIndex]);
  const volumes = new Map<string, Json>();
  for (const volume of asArray(spec.volumes)) volumes.set(String(asObject(volume).name), asObject(volume));
  const mounts: PodMount[] = asArray(container.volumeMounts).map((raw) => {
    const mount = asObject(raw);
    const hostPath = asObject(volumes.get(String(mount.name))?.hostPath).path;
    return {
      name: String(mount.name ?? ''),
      mountPath: String(mount.mountPath ?? ''),
      hostPath: typeof hostPath === 'string' ? hostPath : undefined,
      readOnly: mount.readOnly === true,
    };
  });
  const podContext = asObject(spec.securityContext);
  const containerContext = asObject(container.securityContext);
  const runAsUser = asInt(containerContext.runAsUser) ?? asInt(podContext.runAsUser);
  const runAsGroup = asInt(containerContext.runAsGroup) ?? asInt(podContext.runAsGroup);
  const from: PodUser['from'] =
    asInt(containerContext.runAsUser) !== undefined || asInt(containerContext.runAsGroup) !== undefined
      ? 'container securityContext'
      : runAsUser !== undefined || runAsGroup !== undefined
        ? 'pod securityContext'
        : 'not set (the image default: root for the etcd images)';
  const seLinux = asObject(containerContext.seLinuxOptions).type ?? asObject(podContext.seLinuxOptions).type;
  const image = typeof container.image === 'string' ? container.image : undefined;
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(asObject(asObject(asObject(pod).metadata).annotations))) {
    if (typeof value === 'string') annotations[key] = value;
  }
  return {
    image,
    imageTag: image ? tagOfImage(image) : undefined,
    mounts,
    user: { runAsUser, runAsGroup, from },
    seLinuxType: typeof seLinux === 'string' ? seLinux : undefined,
    annotations,
    hostNetwork: spec.hostNetwork === true,
  };
}

/** "registry.k8s.io/etcd:3.5.10-0" → "3.5.10-0"; "host:5000/etcd" → undefined; digests are not tags. */
export function tagOfImage(image: string): string | undefined {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon < 0 ? undefined : withoutDigest.slice(colon + 1) || undefined;
}

export interface HostPathMapping {
  /** The path on the host. */
  hostPath: string;
  mount: PodMount;
}

/**
 * The host path behind a path the container sees: through the hostPath volume mounted at
 * the longest matching mountPath. null when no hostPath volume holds it (the data would
 * live in the container's own filesystem and vanish with it).
 */
export function hostPathOf(pod: Pick<PodFacts, 'mounts'>, containerPath: string): HostPathMapping | null {
  const path = posix.normalize(containerPath).replace(/\/+$/, '') || '/';
  let best: PodMount | undefined;
  for (const mount of pod.mounts) {
    if (mount.hostPath === undefined || !mount.mountPath) continue;
    const at = posix.normalize(mount.mountPath).replace(/\/+$/, '') || '/';
    const inside = path === at || path.startsWith(at === '/' ? '/' : `${at}/`);
    if (inside && (!best || at.length > posix.normalize(best.mountPath).replace(/\/+$/, '').length)) best = mount;
  }
  if (!best) return null;
  const at = posix.normalize(best.mountPath).replace(/\/+$/, '') || '/';
  const rest = path === at ? '' : path.slice(at === '/' ? 1 : at.length + 1);
  return { hostPath: rest ? posix.join(best.hostPath!, rest) : posix.normalize(best.hostPath!).replace(/(.)\/+$/, '$1'), mount: best };
}
