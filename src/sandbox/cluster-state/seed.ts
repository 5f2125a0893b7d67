// Writes a small but realistic kubeadm cluster into etcd under /registry, as JSON (the
// sandbox's API server reads JSON; a real one would read protobuf). Seeding twice writes
// the same names and uids, so the result is comparable across runs.

import { openEtcdClient, type EtcdClientOptions } from './etcd-client.js';
import { countRegistryKeys } from './count-keys.js';
import { formatTimestamp, type SeedContext, type SeedEntry } from './object-meta.js';
import { buildNamespaces, buildNodes } from './seed-nodes.js';
import { buildWorkloads } from './seed-workloads.js';
import { buildConfig } from './seed-config.js';
import { InputError } from '../../errors.js';

export { countRegistryKeys } from './count-keys.js';

export const SEED_WORKERS = ['worker1', 'worker2'];
export const SEED_KUBERNETES_VERSION = 'v1.32.4';

export interface SeedOptions extends Pick<EtcdClientOptions, 'endpoints' | 'caFile' | 'certFile' | 'keyFile'> {
  /** Control-plane node names (node1, node2, ...); workers worker1 and worker2 are added. */
  nodes: string[];
  /** InternalIP per control-plane node; default 10.0.0.<10+i>. */
  nodeIps?: Record<string, string>;
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
}

export function buildSeedEntries(options: Pick<SeedOptions, 'nodes' | 'nodeIps' | 'clusterCaPem' | 'now'>): SeedEntry[] {
  if (options.nodes.length === 0) throw new InputError('seed: at least one control-plane node name is needed');
  const duplicate = options.nodes.find((name, i) => options.nodes.indexOf(name) !== i || SEED_WORKERS.includes(name));
  if (duplicate) throw new InputError(`seed: node name ${duplicate} is given twice or clashes with a worker name`);
  const context: SeedContext = {
    now: formatTimestamp(options.now ?? new Date()),
    controlPlane: options.nodes.map((name, i) => ({ name, ip: options.nodeIps?.[name] ?? `10.0.0.${10 + i + 1}` })),
    workers: SEED_WORKERS.map((name, i) => ({ name, ip: `10.0.1.${10 + i + 1}` })),
    kubernetesVersion: SEED_KUBERNETES_VERSION,
  };
  const caPem = options.clusterCaPem ?? '-----BEGIN CERTIFICATE-----\n(sandbox cluster CA not given)\n-----END CERTIFICATE-----\n';
  return [...buildNamespaces(context), ...buildNodes(context), ...buildWorkloads(context), ...buildConfig(context, caPem)];
}

export async function seedClusterState(options: SeedOptions): Promise<SeedSummary> {
  const prefix = (options.prefix ?? '/registry').replace(/\/$/, '');
  const entries = buildSeedEntries(options);
  const client = openEtcdClient(options);
  try {
    let revision = 0;
    // One object per write, as the API server does: each gets its own revision.
    // Small batches in parallel keep it quick without flooding etcd.
    for (let i = 0; i < entries.length; i += 16) {
      const batch = entries.slice(i, i + 16);
      const results = await Promise.all(batch.map((entry) => client.put(`${prefix}/${entry.key}`).value(JSON.stringify(entry.object)).exec()));
      for (const result of results) revision = Math.max(revision, Number(result.header.revision));
    }
    const counts = await countRegistryKeys(client, prefix);
    return {
      written: entries.length,
      counts,
      totalKeys: Object.values(counts).reduce((sum, n) => sum + n, 0),
      revision,
      nodes: [...options.nodes, ...SEED_WORKERS],
    };
  } finally {
    client.close();
  }
}
