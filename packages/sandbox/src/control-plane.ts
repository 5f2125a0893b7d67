// How a sandbox's masters become one etcd cluster, in kubeadm's order: the first is
// `kubeadm init` (a 1-member cluster: --initial-cluster is itself, state new; all four
// manifests before its kubelet starts); every other is `kubeadm join --control-plane`,
// one at a time (kubeadm: "join control-plane nodes one by one"): its API server,
// controller-manager and scheduler manifests and its kubelet come first, then its etcd
// member is added to the running cluster as a learner (etcd-join.ts), its etcd.yaml is
// written with the member list of that moment, and the next master joins only once this
// one is a promoted, started, healthy member.

import { join } from 'node:path';
import { execa } from 'execa';
import { SandboxError } from './errors.js';
import { openEtcdClient } from './cluster-state/etcd-client.js';
import { addLearner, promoteAndWait, type MembershipClient } from './etcd-join.js';
import { probeEtcdHealth } from './health.js';
import { COMPONENTS, pathsOfNode, type Component, type SandboxNode } from './layout.js';
import { DEFAULT_ETCD_IMAGE_TAG, clientUrlOf, peerUrlOf, writeNodeManifests, type ManifestOptions } from './manifests.js';
import { findEtcdBinary } from './runner/commands.js';

/** What `kubeadm join --control-plane` writes before the kubelet starts: every manifest but etcd's. */
export const JOIN_PREPARE_COMPONENTS: readonly Component[] = COMPONENTS.filter((c) => c !== 'etcd');

/** registry.k8s.io/etcd's tag for the etcd binary the sandbox runs (`etcd --version`: 3.4.23 → 3.4.23-0). */
export async function detectEtcdImageTag(binary = findEtcdBinary()): Promise<string> {
  const result = await execa(binary, ['--version'], { reject: false, timeout: 5_000 });
  const version = /etcd Version:\s*v?(\d+\.\d+\.\d+)/.exec(result.stdout)?.[1];
  return version ? `${version}-0` : DEFAULT_ETCD_IMAGE_TAG;
}

/** The manifests written before the masters' kubelets start: all four on the init master, three on the others. */
export async function writeInitialManifests(masters: SandboxNode[], options: ManifestOptions): Promise<void> {
  await Promise.all(masters.map((node, i) => writeNodeManifests(node, i === 0 ? COMPONENTS : JOIN_PREPARE_COMPONENTS, options)));
}

/** etcd3's cluster RPCs, through the members that exist, with the joining node's apiserver-etcd-client pair (as kubeadm). */
function membershipClientOf(existing: SandboxNode[], joining: SandboxNode): { client: MembershipClient; close(): void } {
  const p = pathsOfNode(joining.root);
  const etcd = openEtcdClient({
    endpoints: existing.map(clientUrlOf),
    caFile: join(p.etcdPkiDir, 'ca.crt'),
    certFile: join(p.pkiDir, 'apiserver-etcd-client.crt'),
    keyFile: join(p.pkiDir, 'apiserver-etcd-client.key'),
  });
  return {
    client: {
      memberAdd: (req) => etcd.cluster.memberAdd(req),
      memberList: () => etcd.cluster.memberList({}),
      memberPromote: (req) => etcd.cluster.memberPromote(req),
    },
    close: () => etcd.close(),
  };
}

/**
 * Joins masters[1..] to the running 1-member cluster of masters[0], one by one. The
 * deadline is shared by all joins. Each node's kubelet must already run.
 */
export async function joinMasters(masters: SandboxNode[], options: ManifestOptions & { deadline: number; progress: (message: string) => void }): Promise<void> {
  for (let k = 1; k < masters.length; k++) {
    const node = masters[k]!;
    const member = { name: node.name, peerUrl: peerUrlOf(node) };
    const { client, close } = membershipClientOf(masters.slice(0, k), node);
    try {
      const cluster = await addLearner(client, member, options.deadline);
      options.progress(`${node.name}: kubeadm join --control-plane: learner added; --initial-cluster=${cluster.map((m) => `${m.name}=${m.peerUrl}`).join(',')}`);
      await writeNodeManifests(node, ['etcd'], { ...options, joinCluster: cluster });
      const left = options.deadline - Date.now();
      if (left <= 0) throw new SandboxError('timeout', `etcd member ${node.name} could not join in time`, { host: node.name });
      await promoteAndWait(client, member, () => probeEtcdHealth(node), left);
      options.progress(`${node.name}: etcd member promoted, started and healthy`);
    } finally {
      close();
    }
  }
}
