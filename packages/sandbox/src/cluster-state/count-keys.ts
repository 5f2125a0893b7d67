// Key counts per resource under the registry prefix, read from a running sandbox etcd.
// Resources are named as the API server lays its keys out: /registry/pods/NS/NAME is
// "pods"; a group-qualified resource keeps its group (/registry/apiregistration.k8s.io/
// apiservices/X → "apiregistration.k8s.io/apiservices"); services keep their kind
// (/registry/services/specs/... → "services/specs"). drbook's restore check names them
// the same way; test/sandbox/cluster-state/count-keys.test.ts holds the two together.

import type { Etcd3 } from 'etcd3';

export const REGISTRY_PREFIX = '/registry';

export async function countRegistryKeys(client: Etcd3, prefix = REGISTRY_PREFIX): Promise<Record<string, number>> {
  const keys = await client.getAll().prefix(withSlash(prefix)).keys();
  return countKeys(keys, prefix);
}

/** Counts per resource, sorted by resource name so the output is stable to print and compare; keys outside the prefix are left out. */
export function countKeys(keys: string[], prefix = REGISTRY_PREFIX): Record<string, number> {
  const base = withSlash(prefix);
  const counts = new Map<string, number>();
  for (const key of keys) {
    if (!key.startsWith(base)) continue;
    const [group = '', kind, ...rest] = key.slice(base.length).split('/');
    const twoLevel = rest.length > 0 && (group === 'services' || group.includes('.'));
    const resource = twoLevel ? `${group}/${kind}` : group;
    counts.set(resource, (counts.get(resource) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

function withSlash(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}
