// Key counts per Kubernetes resource under the API server's etcd prefix (/registry):
// a cheap, strong check that a restore brought back what the snapshot holds.
// /registry/pods/NS/NAME counts as "pods"; a group-qualified resource keeps its group
// (/registry/apiregistration.k8s.io/apiservices/X → "apiregistration.k8s.io/apiservices");
// services keep their kind (/registry/services/specs/... → "services/specs").

export interface RegistryCounts {
  /** Keys under the prefix, per resource. */
  resources: Record<string, number>;
  /** All keys under the prefix. */
  total: number;
  /** Keys outside the prefix (e.g. etcd's own health key, other users of the cluster). */
  outside: number;
}

export const DEFAULT_PREFIX = '/registry';

/** Resources whose count legitimately changes right after a restore (expiring events, renewed leases). */
export const VOLATILE_RESOURCES = ['events', 'events.k8s.io/events', 'leases', 'coordination.k8s.io/leases', 'masterleases'];

export function resourceOfKey(key: string, prefix = DEFAULT_PREFIX): string | null {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  if (!key.startsWith(base)) return null;
  const parts = key.slice(base.length).split('/');
  const first = parts[0] ?? '';
  if ((first.includes('.') || first === 'services') && parts.length > 2) return `${first}/${parts[1]}`;
  return first;
}

export function countRegistryKeys(keys: Iterable<string>, prefix = DEFAULT_PREFIX): RegistryCounts {
  const resources: Record<string, number> = {};
  let total = 0;
  let outside = 0;
  for (const key of keys) {
    const resource = resourceOfKey(key, prefix);
    if (resource === null) {
      outside++;
      continue;
    }
    resources[resource] = (resources[resource] ?? 0) + 1;
    total++;
  }
  return { resources: sortRecord(resources), total, outside };
}

export interface CountDifference {
  resource: string;
  expected: number;
  actual: number;
}

/**
 * Resources whose counts differ. mode 'exact': any difference; 'no-loss': only fewer
 * keys than expected (a running cluster may already have created new objects).
 */
export function compareRegistryCounts(expected: RegistryCounts, actual: RegistryCounts, options: { mode?: 'exact' | 'no-loss'; ignore?: string[] } = {}): CountDifference[] {
  const ignore = new Set(options.ignore ?? VOLATILE_RESOURCES);
  const names = new Set([...Object.keys(expected.resources), ...Object.keys(actual.resources)]);
  const differences: CountDifference[] = [];
  for (const resource of [...names].sort()) {
    if (ignore.has(resource)) continue;
    const e = expected.resources[resource] ?? 0;
    const a = actual.resources[resource] ?? 0;
    if (a === e || (options.mode === 'no-loss' && a > e)) continue;
    differences.push({ resource, expected: e, actual: a });
  }
  return differences;
}

/** "namespaces 4, nodes 2, pods 12" */
export function formatCounts(counts: RegistryCounts): string {
  const list = Object.entries(counts.resources).map(([name, n]) => `${name} ${n}`);
  return list.length ? list.join(', ') : '(no keys)';
}

export function formatDifferences(differences: CountDifference[]): string {
  return differences.map((d) => `${d.resource}: ${d.actual} now, ${d.expected} in the snapshot`).join('; ');
}

function sortRecord(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
