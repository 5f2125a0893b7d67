// Key counts per resource under the registry prefix: a cheap, strong check that a
// restore brought back what the snapshot held (compare before/after, or with the
// snapshot's own content).

import type { Etcd3 } from 'etcd3';

/**
 * The resource a registry key belongs to, from the path after the prefix:
 * pods/ns/name → pods, services/specs/ns/name → services, services/endpoints/… →
 * endpoints, apiregistration.k8s.io/apiservices/name → apiservices.apiregistration.k8s.io.
 */
export function resourceOfKey(key: string, prefix = '/registry'): string | null {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  if (!key.startsWith(base)) return null;
  const segments = key.slice(base.length).split('/');
  const [first, second] = segments;
  if (!first) return null;
  if (first === 'services' && second === 'endpoints') return 'endpoints';
  if (first === 'services') return 'services';
  if (first.includes('.') && second) return `${second}.${first}`;
  return first;
}

export async function countRegistryKeys(client: Etcd3, prefix = '/registry'): Promise<Record<string, number>> {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const keys = await client.getAll().prefix(base).keys();
  return countKeys(keys, prefix);
}

/** Counts per resource, sorted by resource name so the output is stable to print and compare. */
export function countKeys(keys: string[], prefix = '/registry'): Record<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) {
    const resource = resourceOfKey(key, prefix);
    if (resource) counts.set(resource, (counts.get(resource) ?? 0) + 1);
  }
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
