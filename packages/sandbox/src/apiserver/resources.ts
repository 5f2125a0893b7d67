// The resources the sandbox API server serves (read-only), where each lives in etcd,
// and how discovery describes it. The etcd key segments are the real API server's
// (nodes are "minions", services live under services/specs).

export interface ResourceDef {
  /** Plural, as in URLs: pods. */
  name: string;
  singularName: string;
  kind: string;
  /** '' for the core group. */
  group: string;
  version: string;
  namespaced: boolean;
  /** Path under the etcd prefix: /registry/<key>/[<ns>/]<name>. */
  key: string;
  shortNames?: string[];
  categories?: string[];
}

export const RESOURCES: ResourceDef[] = [
  { name: 'namespaces', singularName: 'namespace', kind: 'Namespace', group: '', version: 'v1', namespaced: false, key: 'namespaces', shortNames: ['ns'] },
  { name: 'nodes', singularName: 'node', kind: 'Node', group: '', version: 'v1', namespaced: false, key: 'minions', shortNames: ['no'] },
  { name: 'pods', singularName: 'pod', kind: 'Pod', group: '', version: 'v1', namespaced: true, key: 'pods', shortNames: ['po'], categories: ['all'] },
  { name: 'services', singularName: 'service', kind: 'Service', group: '', version: 'v1', namespaced: true, key: 'services/specs', shortNames: ['svc'], categories: ['all'] },
  { name: 'configmaps', singularName: 'configmap', kind: 'ConfigMap', group: '', version: 'v1', namespaced: true, key: 'configmaps', shortNames: ['cm'] },
  { name: 'secrets', singularName: 'secret', kind: 'Secret', group: '', version: 'v1', namespaced: true, key: 'secrets' },
  { name: 'deployments', singularName: 'deployment', kind: 'Deployment', group: 'apps', version: 'v1', namespaced: true, key: 'deployments', shortNames: ['deploy'], categories: ['all'] },
  { name: 'replicasets', singularName: 'replicaset', kind: 'ReplicaSet', group: 'apps', version: 'v1', namespaced: true, key: 'replicasets', shortNames: ['rs'], categories: ['all'] },
  { name: 'daemonsets', singularName: 'daemonset', kind: 'DaemonSet', group: 'apps', version: 'v1', namespaced: true, key: 'daemonsets', shortNames: ['ds'], categories: ['all'] },
  { name: 'clusterroles', singularName: 'clusterrole', kind: 'ClusterRole', group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: false, key: 'clusterroles' },
];

/** Only reads: kubectl reads the verbs to decide what it may do. */
export const VERBS = ['get', 'list'];

export function groupVersionOf(resource: Pick<ResourceDef, 'group' | 'version'>): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

export function findResource(group: string, version: string, name: string): ResourceDef | undefined {
  return RESOURCES.find((resource) => resource.group === group && resource.version === version && resource.name === name);
}

export function resourcesOf(group: string, version: string): ResourceDef[] {
  return RESOURCES.filter((resource) => resource.group === group && resource.version === version);
}

/** Named API groups (not the core group), each with its versions. */
export function apiGroups(): { name: string; versions: string[] }[] {
  const groups = new Map<string, Set<string>>();
  for (const resource of RESOURCES) {
    if (!resource.group) continue;
    groups.set(resource.group, (groups.get(resource.group) ?? new Set()).add(resource.version));
  }
  return [...groups.entries()].map(([name, versions]) => ({ name, versions: [...versions] }));
}
