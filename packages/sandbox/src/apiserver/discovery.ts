// Discovery documents in their legacy (non-aggregated) forms. kubectl asks /api and
// /apis for the aggregated form first; it reads the response's Content-Type and falls
// back to these when it is plain application/json, then fetches each group version.

import { apiGroups, groupVersionOf, resourcesOf, VERBS } from './resources.js';

export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.4' };

export function versionInfo(): object {
  return {
    ...KUBERNETES_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'drbook-sandbox',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDocument(group: { name: string; versions: string[] }): object {
  const versions = group.versions.map((version) => ({ groupVersion: `${group.name}/${version}`, version }));
  return { name: group.name, versions, preferredVersion: versions[0] };
}

export function groupList(): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups().map(groupDocument) };
}

/** /apis/<group>, or null for an unknown group. */
export function group(name: string): object | null {
  const found = apiGroups().find((candidate) => candidate.name === name);
  return found ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDocument(found) } : null;
}

/** /api/v1 or /apis/<group>/<version>, or null when nothing is served there. */
export function resourceList(groupName: string, version: string): object | null {
  const resources = resourcesOf(groupName, version);
  if (resources.length === 0) return null;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersionOf({ group: groupName, version }),
    resources: resources.map((resource) => ({
      name: resource.name,
      singularName: resource.singularName,
      namespaced: resource.namespaced,
      kind: resource.kind,
      verbs: VERBS,
      ...(resource.shortNames ? { shortNames: resource.shortNames } : {}),
      ...(resource.categories ? { categories: resource.categories } : {}),
    })),
  };
}
