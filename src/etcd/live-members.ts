// The live membership: ask every endpoint at once, each with its own client, for its
// status (cluster id, its own id, the leader it sees, its version) and its member list,
// and return within a few seconds whatever answered. The member list is served from the
// answering member's own view (no quorum needed), so it is there even when the cluster
// has lost quorum; whether there is a leader is reported beside it. Several cluster ids
// among the answers mean several clusters answer at these endpoints (a split brain, or
// an endpoint of another cluster). "No member answered" is an answer too, with each
// endpoint's reason.

import { explainEtcdError, loadEtcdCredentials, openEtcdClient, resolveEtcdCredentials, type CredentialArgs, type EtcdClientOptions, type ManifestHints } from './client.js';
import { hexId } from './member-id.js';
import type { Transport } from '../core/transport.js';

export interface LiveMember {
  id: string;
  /** '' while the member has been added but has not started. */
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface LiveEndpoint {
  endpoint: string;
  ok: boolean;
  error?: string;
  memberId?: string;
  clusterId?: string;
  /** The leader this member sees; undefined when it sees none. */
  leader?: string;
  version?: string;
  isLearner?: boolean;
  /** How many members its list holds. */
  memberCount?: number;
}

export interface LiveMembership {
  answered: boolean;
  endpoints: LiveEndpoint[];
  /** The member list of the answering endpoint used (the leader's, else the first to answer). */
  members: LiveMember[];
  from?: string;
  /** Every cluster id the answers carry (hex); two or more: more than one cluster answers. */
  clusterIds: string[];
  clusterId?: string;
  /** The leader, when the answering members agree on one. */
  leader?: string;
  /** True when answers came but none of them sees a leader (no quorum). */
  noLeader: boolean;
  /** Why nothing answered, one line naming every endpoint. */
  problem?: string;
  elapsedMs: number;
}

export interface LiveProbeOptions {
  /** The whole probe's deadline. Default 3 s. */
  timeoutMs?: number;
}

export async function probeLiveMembership(credentials: EtcdClientOptions, options: LiveProbeOptions = {}): Promise<LiveMembership> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 3_000;
  if (credentials.endpoints.length === 0) {
    return { answered: false, endpoints: [], members: [], clusterIds: [], noLeader: false, problem: 'no etcd endpoint to ask', elapsedMs: 0 };
  }
  const clients = credentials.endpoints.map((endpoint) => ({
    endpoint,
    client: openEtcdClient({ ...credentials, endpoints: [endpoint], dialTimeoutMs: timeoutMs, callTimeoutMs: timeoutMs }),
  }));
  try {
    const answers = await Promise.all(clients.map(({ endpoint, client }) => withDeadline(askEndpoint(endpoint, client), timeoutMs, endpoint)));
    const ok = answers.filter((a) => a.endpoint.ok);
    const clusterIds = [...new Set(ok.map((a) => a.endpoint.clusterId!))];
    const leaders = [...new Set(ok.map((a) => a.endpoint.leader).filter((l): l is string => l !== undefined))];
    const chosen = ok.find((a) => a.endpoint.leader !== undefined && a.endpoint.leader === a.endpoint.memberId) ?? ok[0];
    return {
      answered: ok.length > 0,
      endpoints: answers.map((a) => a.endpoint),
      members: chosen?.members ?? [],
      from: chosen?.endpoint.endpoint,
      clusterIds,
      clusterId: clusterIds.length === 1 ? clusterIds[0] : undefined,
      leader: leaders.length === 1 ? leaders[0] : undefined,
      noLeader: ok.length > 0 && leaders.length === 0,
      problem: ok.length ? undefined : `no etcd member answered within ${(timeoutMs / 1000).toFixed(1)} s: ${answers.map((a) => `${a.endpoint.endpoint}: ${a.endpoint.error}`).join('; ')}`,
      elapsedMs: Date.now() - started,
    };
  } finally {
    for (const { client } of clients) client.close();
  }
}

interface Answer {
  endpoint: LiveEndpoint;
  members: LiveMember[];
}

async function askEndpoint(endpoint: string, client: ReturnType<typeof openEtcdClient>): Promise<Answer> {
  try {
    const [status, list] = await Promise.all([client.maintenance.status(), client.cluster.memberList({})]);
    const leader = status.leader && status.leader !== '0' ? hexId(status.leader) : undefined;
    const members = list.members.map((m) => ({ id: hexId(m.ID), name: m.name, peerUrls: m.peerURLs, clientUrls: m.clientURLs, isLearner: m.isLearner === true }));
    return {
      endpoint: {
        endpoint,
        ok: true,
        memberId: hexId(status.header.member_id),
        clusterId: hexId(status.header.cluster_id),
        leader,
        version: status.version,
        isLearner: status.isLearner === true,
        memberCount: members.length,
      },
      members,
    };
  } catch (error) {
    return { endpoint: { endpoint, ok: false, error: explainEtcdError(error) }, members: [] };
  }
}

function withDeadline(work: Promise<Answer>, ms: number, endpoint: string): Promise<Answer> {
  let timer: NodeJS.Timeout;
  const late = new Promise<Answer>((resolve) => {
    timer = setTimeout(() => resolve({ endpoint: { endpoint, ok: false, error: `no answer within ${(ms / 1000).toFixed(1)} s` }, members: [] }), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * The same probe from a host's point of view: its credentials resolved as etcd.health
 * resolves them (explicit args > ETCDCTL_* > the host's manifest > kubeadm's layout)
 * and the cert files read through its transport, into memory only.
 */
export async function probeLiveMembershipVia(
  transport: Pick<Transport, 'stat' | 'readFile' | 'hostName'>,
  args: CredentialArgs,
  hints: ManifestHints = {},
  options: LiveProbeOptions = {},
): Promise<LiveMembership> {
  const plan = await resolveEtcdCredentials(transport, args, hints);
  return probeLiveMembership(await loadEtcdCredentials(transport, plan), options);
}
