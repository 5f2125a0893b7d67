// Writes a small but realistic kubeadm cluster into etcd under /registry, stored the way a
// real API server stores it: protobuf in the k8s\0 envelope by default, JSON when the
// sandbox plays an API server run with --storage-media-type=application/json. Seeding
// twice writes the same names, uids and bytes, so the result is comparable across runs.

import { openEtcdClient, type EtcdClientOptions } from './etcd-client.js';
import { countRegistryKeys } from './count-keys.js';
import { formatTimestamp, type SeedContext, type SeedEntry } from './object-meta.js';
import { buildNamespaces, buildNodes } from './seed-nodes.js';
import { buildWorkloads } from './seed-workloads.js';
import { buildConfig } from './seed-config.js';
import { SandboxInputError } from '../errors.js';
import { encodeStoredObject } from './protobuf/storage-value.js';
import { DEFAULT_STORAGE_MEDIA_TYPE, type StorageMediaType } from './storage-media-type.js';

export { countRegistryKeys } from './count-keys.js';

/** The workers seeded when SeedOptions.workers is not given. */
export const SEED_WORKERS: ReadonlyArray<{ name: string; ip: string }> = [
  { name: 'worker1', ip: '10.0.1.11' },
  { name: 'worker2', ip: '10.0.1.12' },
];
export const SEED_KUBERNETES_VERSION = 'v1.32.4';

export interface SeedOptions extends Pick<EtcdClientOptions, 'endpoints' | 'caFile' | 'certFile' | 'keyFile'> {
  /** Control-plane node names (node1, node2, ...). */
  nodes: string[];
  /** InternalIP per control-plane node; default 10.0.0.<10+i>. */
  nodeIps?: Record<string, string>;
  /** Worker nodes (name and InternalIP); default SEED_WORKERS (worker1, worker2). [] for none. */
  workers?: Array<{ name: string; ip: string }>;
  /** How values are stored: protobuf in the k8s\0 envelope (default, as a real API server) or JSON. */
  storageMediaType?: StorageMediaType;
  /** The API server's --etcd-prefix. */
  prefix?: string;
  /** The cluster CA, published in every namespace's kube-root-ca.crt config map. */
  clusterCaPem?: string;
  now?: Date;
}

export interface SeedSummary {
  /** Keys this call wrote. */
  written: number;
  /** Key counts per resource under the prefix after seeding (see countRegistryKeys). */
  counts: Record<string, number>;
  /** Total keys under the prefix after seeding. */
  totalKeys: number;
  /** etcd revision after the last write. */
  revision: number;
  /** Every node name in the cluster: control plane first, then workers. */
  nodes: string[];
  /** How the values were stored. */
  storageMediaType: StorageMediaType;
}

export function buildSeedEntries(options: Pick<SeedOptions, 'nodes' | 'nodeIps' | 'workers' | 'clusterCaPem' | 'now'>): SeedEntry[] {
  if (options.nodes.length === 0) throw new SandboxInputError('seed: at least one control-plane node name is needed');
  const workers = options.workers ?? SEED_WORKERS;
  const names = [...options.nodes, ...workers.map((worker) => worker.name)];
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw new SandboxInputError(`seed: node name ${duplicate} is given twice (control-plane and worker names must all differ)`);
  const context: SeedContext = {
    now: formatTimestamp(options.now ?? new Date()),
    controlPlane: options.nodes.map((name, i) => ({ name, ip: options.nodeIps?.[name] ?? `10.0.0.${10 + i + 1}` })),
    workers: workers.map(({ name, ip }) => ({ name, ip })),
    kubernetesVersion: SEED_KUBERNETES_VERSION,
  };
  const caPem = options.clusterCaPem ?? '-----BEGIN CERTIFICATE-----\n(sandbox cluster CA not given)\n-----END CERTIFICATE-----\n';
  return [...buildNamespaces(context), ...buildNodes(context), ...buildWorkloads(context), ...buildConfig(context, caPem)];
}

export async function seedClusterState(options: SeedOptions): Promise<SeedSummary> {
  const prefix = (options.prefix ?? '/registry').replace(/\/$/, '');
  const mediaType = options.storageMediaType ?? DEFAULT_STORAGE_MEDIA_TYPE;
  const entries = buildSeedEntries(options);
  // Encoded before anything is written: an object the codec refuses leaves etcd untouched.
  const values = entries.map((entry) => ({ key: `${prefix}/${entry.key}`, value: encodeStoredObject(entry.object, mediaType) }));
  const client = openEtcdClient(options);
  try {
    let revision = 0;
    // One object per write, as the API server does: each gets its own revision.
    // Small batches in parallel keep it quick without flooding etcd.
    for (let i = 0; i < values.length; i += 16) {
      const batch = values.slice(i, i + 16);
      const results = await Promise.all(batch.map(({ key, value }) => client.put(key).value(value).exec()));
      for (const result of results) revision = Math.max(revision, Number(result.header.revision));
    }
    const counts = await countRegistryKeys(client, prefix);
    return {
      written: entries.length,
      counts,
      totalKeys: Object.values(counts).reduce((sum, n) => sum + n, 0),
      revision,
      nodes: [...options.nodes, ...(options.workers ?? SEED_WORKERS).map((worker) => worker.name)],
      storageMediaType: mediaType,
    };
  } finally {
    client.close();
  }
}
