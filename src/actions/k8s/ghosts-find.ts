// Which objects of a restored snapshot belong to hosts that are not in the restored
// cluster ("ghosts"). Pure: the snapshot's keys, its membership and the restored
// members are read beforehand (ghosts.ts).
// - /registry/masterleases/<ip>: each kube-apiserver keeps its address there (the lease
//   endpoint reconciler) and the `kubernetes` Service's endpoints are built from them: a
//   lease of an API server that no longer exists sends clients to a dead address until
//   it expires. An address that no restored member has is a ghost; each live API server
//   re-creates its own lease within seconds.
// - /registry/minions/<name> (Node objects): only control-plane ones, recognised by
//   kubeadm's role label (snapshot-nodes.ts) or as the snapshot's etcd members that are
//   not restored (kubeadm names a stacked member after its node), whose name no
//   restored member has; and nodes the operator names. A worker is NEVER a ghost for being absent
//   from the inventory: workers are not etcd members and are not listed there.

export interface RestoredMember {
  name: string;
  /** Hosts of its peer and client URLs. */
  addresses: string[];
}

export interface Ghost {
  key: string;
  kind: 'masterlease' | 'node';
  /** The lease's address or the node's name. */
  name: string;
  why: string;
}

export const LEASE_PREFIX = '/registry/masterleases/';
export const NODE_PREFIX = '/registry/minions/';

export function hostOfUrl(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}

export function findGhosts(input: { keys: Iterable<string>; controlPlane?: Set<string>; snapshotMembers: string[]; restored: RestoredMember[]; removeNodes?: string[] }): Ghost[] {
  const restoredNames = new Set(input.restored.map((m) => m.name));
  const restoredAddresses = new Set(input.restored.flatMap((m) => m.addresses));
  const named = new Set(input.removeNodes ?? []);
  const dropped = new Set(input.snapshotMembers.filter((name) => name && !restoredNames.has(name)));
  const ghosts: Ghost[] = [];
  for (const key of input.keys) {
    if (key.startsWith(LEASE_PREFIX)) {
      const ip = key.slice(LEASE_PREFIX.length);
      if (ip && !restoredAddresses.has(ip)) ghosts.push({ key, kind: 'masterlease', name: ip, why: `no restored member has the address ${ip}` });
    } else if (key.startsWith(NODE_PREFIX)) {
      const name = key.slice(NODE_PREFIX.length);
      if (restoredNames.has(name) && !named.has(name)) continue;
      if (named.has(name)) ghosts.push({ key, kind: 'node', name, why: 'named in removeNodes' });
      else if (dropped.has(name)) ghosts.push({ key, kind: 'node', name, why: `a control-plane node: etcd member ${name} of the snapshot is not in the restored cluster` });
      else if (input.controlPlane?.has(name)) ghosts.push({ key, kind: 'node', name, why: 'a control-plane node (role label) that no restored member is named after' });
    }
  }
  return ghosts.sort((a, b) => a.key.localeCompare(b.key));
}

/** Names given in removeNodes that the snapshot has no Node for: said in the plan, nothing to remove. */
export function unknownNamedNodes(keys: Set<string>, removeNodes: string[] = []): string[] {
  return removeNodes.filter((name) => !keys.has(`${NODE_PREFIX}${name}`));
}
