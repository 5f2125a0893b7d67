// One look at an etcd cluster through every endpoint, each with its own client (etcd3
// would otherwise answer from whichever member it likes): is each member up and able
// to serve a linearizable read (which needs quorum), do they all agree on one cluster
// id and one leader, how many members, at which revision, and what /registry holds.

import type { Etcd3, IStatusResponse, IMember } from 'etcd3';
import { explainEtcdError, openEtcdClient, type EtcdClientOptions } from './client.js';
import { countRegistryKeys, type RegistryCounts } from './registry-counts.js';

export interface EndpointHealth {
  endpoint: string;
  ok: boolean;
  error?: string;
  memberId?: string;
  clusterId?: string;
  leader?: string;
  revision?: number;
  version?: string;
  dbSize?: number;
}

export interface ClusterHealth {
  endpoints: EndpointHealth[];
  members: IMember[];
  /** Problems that make the cluster not healthy; empty when it is. */
  problems: string[];
  leader?: string;
  clusterId?: string;
  counts?: RegistryCounts;
}

export interface CheckClusterOptions {
  expectedMembers?: number;
  /** Every endpoint must report the same revision (same data, no write in between). */
  sameRevision?: boolean;
  /** Count keys per resource under this prefix (e.g. /registry). */
  countPrefix?: string;
}

async function probeEndpoint(client: Etcd3, endpoint: string): Promise<EndpointHealth> {
  try {
    const status: IStatusResponse = await client.maintenance.status();
    // A linearizable read goes through raft: it fails without quorum, like etcdctl endpoint health.
    await client.get('health').exec();
    return {
      endpoint,
      ok: true,
      memberId: status.header.member_id,
      clusterId: status.header.cluster_id,
      leader: status.leader,
      revision: Number(status.header.revision),
      version: status.version,
      dbSize: Number(status.dbSize),
    };
  } catch (error) {
    return { endpoint, ok: false, error: explainEtcdError(error) };
  }
}

export async function checkClusterHealth(credentials: EtcdClientOptions, options: CheckClusterOptions = {}): Promise<ClusterHealth> {
  const clients = credentials.endpoints.map((endpoint) => ({ endpoint, client: openEtcdClient({ ...credentials, endpoints: [endpoint] }) }));
  try {
    const endpoints = await Promise.all(clients.map(({ client, endpoint }) => probeEndpoint(client, endpoint)));
    const problems: string[] = [];
    for (const e of endpoints) if (!e.ok) problems.push(`${e.endpoint} is not healthy: ${e.error}`);
    const healthy = endpoints.filter((e) => e.ok);
    const clusterIds = new Set(healthy.map((e) => e.clusterId));
    if (clusterIds.size > 1) problems.push(`the endpoints belong to ${clusterIds.size} different clusters: ${[...clusterIds].join(', ')}`);
    const leaders = new Set(healthy.map((e) => e.leader));
    if (healthy.some((e) => !e.leader || e.leader === '0'))
      problems.push(
        `no leader seen by ${healthy
          .filter((e) => !e.leader || e.leader === '0')
          .map((e) => e.endpoint)
          .join(', ')}`,
      );
    else if (leaders.size > 1) problems.push(`the members disagree on the leader: ${[...leaders].join(', ')}`);
    const revisions = new Set(healthy.map((e) => e.revision));
    if (options.sameRevision && revisions.size > 1) problems.push(`the members are at different revisions: ${healthy.map((e) => `${e.endpoint} ${e.revision}`).join(', ')}`);

    let members: IMember[] = [];
    const first = clients.find((_, i) => endpoints[i]!.ok);
    let counts: RegistryCounts | undefined;
    if (first) {
      try {
        members = (await first.client.cluster.memberList({ linearizable: true })).members;
        const leader = [...leaders][0];
        if (leader && leaders.size === 1 && !members.some((m) => m.ID === leader)) problems.push(`the leader ${leader} is not in the member list`);
        const unstarted = members.filter((m) => !m.name || m.clientURLs.length === 0);
        if (unstarted.length) problems.push(`members not started yet: ${unstarted.map((m) => m.peerURLs.join(',')).join('; ')}`);
        if (options.expectedMembers !== undefined && members.length !== options.expectedMembers) {
          problems.push(`${members.length} member(s) (${members.map((m) => m.name || m.ID).join(', ')}), ${options.expectedMembers} expected`);
        }
        if (options.countPrefix !== undefined) counts = countRegistryKeys(await first.client.getAll().prefix(options.countPrefix).keys(), options.countPrefix);
      } catch (error) {
        problems.push(`${first.endpoint}: cannot list members or keys: ${explainEtcdError(error)}`);
      }
    }
    return { endpoints, members, problems, leader: leaders.size === 1 ? [...leaders][0] : undefined, clusterId: clusterIds.size === 1 ? [...clusterIds][0] : undefined, counts };
  } finally {
    for (const { client } of clients) client.close();
  }
}

/** "https://127.0.0.1:2379 member 8e9e05c52164694d (leader), revision 42, v3.4.23" per endpoint. */
export function describeEndpoints(health: ClusterHealth): string[] {
  return health.endpoints.map((e) =>
    e.ok ? `${e.endpoint}: member ${hex(e.memberId)}${e.memberId === e.leader ? ' (leader)' : ''}, revision ${e.revision}, etcd ${e.version}, db ${e.dbSize} bytes` : `${e.endpoint}: ${e.error}`,
  );
}

/** etcd3 gives ids as decimal strings; etcdctl shows them in hex. */
export function hex(id: string | undefined): string {
  if (!id) return '?';
  try {
    return BigInt(id).toString(16);
  } catch {
    return id;
  }
}
