// The etcd half of `kubeadm join --control-plane`, as kubeadm 1.32 does it
// (phases/etcd/local.go CreateStackedEtcdStaticPodManifestFile, util/etcd): the new
// member is added to the running cluster as a learner (EtcdLearnerMode, GA and always on
// in 1.32; etcd 3.4 has learners), its manifest gets --initial-cluster from the member
// list that `member add` returned — every member that exists then, in etcd's order, the
// new one named — and --initial-cluster-state=existing; once its etcd runs, the learner
// is promoted (retried until it has caught up with the leader) and the join waits until
// the member is started and healthy. Only then may the next master join.

import { setTimeout as sleep } from 'node:timers/promises';
import { SandboxError, errorMessage } from './errors.js';
import type { EtcdMember } from './manifests.js';

/** The cluster RPCs a join needs (etcd3's ClusterClient; a fake in unit tests). */
export interface MembershipClient {
  memberAdd(req: { peerURLs: string[]; isLearner: boolean }): Promise<{ members: RpcMember[] }>;
  memberList(): Promise<{ members: RpcMember[] }>;
  memberPromote(req: { ID: string }): Promise<unknown>;
}

export interface RpcMember {
  ID: string;
  name: string;
  peerURLs: string[];
  isLearner: boolean;
}

/** kubeadm polls every 500 ms (EtcdAPICallRetryInterval); the sandbox looks more often, which changes nothing etcd sees but the wait. */
const RETRY_INTERVAL_MS = 200;

/**
 * Adds `member` as a learner; returns the --initial-cluster of its manifest. As kubeadm's
 * addMember: the member whose first peer URL is the new one gets the given name; a member
 * without a name (not started) is named by its ID in hex. Retried until `deadline`, as
 * kubeadm retries: etcd refuses a new member ("unhealthy cluster") until its leader has
 * been connected to every voting member for 5 s, which is never the case right after
 * the previous join. A retry that finds the member already added (its first attempt
 * went through after all) takes the member list as it is.
 */
export async function addLearner(client: MembershipClient, member: EtcdMember, deadline: number): Promise<EtcdMember[]> {
  let last = 'no answer';
  for (;;) {
    try {
      const { members } = await client.memberAdd({ peerURLs: [member.peerUrl], isLearner: true });
      return initialClusterOf(members, member);
    } catch (error) {
      last = errorMessage(error);
      if (/peer ?urls? already exists/i.test(last)) {
        const { members } = await client.memberList();
        if (members.some((m) => m.peerURLs[0] === member.peerUrl)) return initialClusterOf(members, member);
      }
    }
    if (Date.now() + RETRY_INTERVAL_MS > deadline) {
      throw new SandboxError('step', `etcd member add ${member.name} (${member.peerUrl}) as a learner was refused until the deadline: ${last}`, { host: member.name });
    }
    await sleep(RETRY_INTERVAL_MS);
  }
}

function initialClusterOf(members: RpcMember[], member: EtcdMember): EtcdMember[] {
  return members.map((m) => {
    const peerUrl = m.peerURLs[0] ?? '';
    if (peerUrl === member.peerUrl) return { name: member.name, peerUrl };
    return { name: m.name || BigInt(m.ID).toString(16), peerUrl };
  });
}

async function findMember(client: MembershipClient, peerUrl: string): Promise<RpcMember | undefined> {
  const { members } = await client.memberList();
  return members.find((m) => m.peerURLs[0] === peerUrl);
}

/**
 * Promotes the learner at `peerUrl` once it has caught up (etcd refuses before), then
 * waits until it is a started voting member and `healthy()` says so. Errors name the
 * member and the last answer.
 */
export async function promoteAndWait(client: MembershipClient, member: EtcdMember, healthy: () => Promise<{ ok: boolean; detail?: string }>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const fail = (what: string, last: string) =>
    new SandboxError('timeout', `etcd member ${member.name} (${member.peerUrl}) ${what} within ${Math.round(timeoutMs / 1000)} s: ${last}`, {
      host: member.name,
      hint: `read ${member.name}'s var/log/pods/etcd.log`,
    });
  let last = 'no answer';
  for (;;) {
    try {
      const found = await findMember(client, member.peerUrl);
      if (!found) throw new SandboxError('step', `etcd member ${member.name} (${member.peerUrl}) is not in the member list any more`, { host: member.name });
      if (!found.isLearner) break;
      await client.memberPromote({ ID: found.ID });
      break;
    } catch (error) {
      if (error instanceof SandboxError) throw error;
      last = errorMessage(error); // e.g. "can only promote a learner member which is in sync with leader"
    }
    if (Date.now() + RETRY_INTERVAL_MS > deadline) throw fail('could not be promoted from learner', last);
    await sleep(RETRY_INTERVAL_MS);
  }
  for (;;) {
    const found = await findMember(client, member.peerUrl).catch((error: unknown) => {
      last = errorMessage(error);
      return undefined;
    });
    const started = found !== undefined && found.name === member.name && !found.isLearner;
    if (started) {
      const health = await healthy();
      if (health.ok) return;
      last = health.detail ?? 'not healthy';
    } else if (found) {
      last = found.isLearner ? 'still a learner' : 'not started yet';
    }
    if (Date.now() + RETRY_INTERVAL_MS > deadline) throw fail('did not become a started, healthy member', last);
    await sleep(RETRY_INTERVAL_MS);
  }
}
