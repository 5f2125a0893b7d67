// Key counts per resource under the registry prefix, read from a running sandbox etcd.
// The naming of resources (pods, services/specs, apiregistration.k8s.io/apiservices)
// is src/etcd/registry-counts.ts's, the one the restore's health check compares, so a
// count printed by the sandbox can be held against a count printed by a restore.

import type { Etcd3 } from 'etcd3';
import { countRegistryKeys as countByResource, DEFAULT_PREFIX } from '../../etcd/registry-counts.js';

export async function countRegistryKeys(client: Etcd3, prefix = DEFAULT_PREFIX): Promise<Record<string, number>> {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const keys = await client.getAll().prefix(base).keys();
  return countKeys(keys, prefix);
}

/** Counts per resource, sorted by resource name so the output is stable to print and compare. */
export function countKeys(keys: string[], prefix = DEFAULT_PREFIX): Record<string, number> {
  return countByResource(keys, prefix).resources;
}
