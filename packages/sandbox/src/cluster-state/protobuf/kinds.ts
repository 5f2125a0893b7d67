// The kinds the sandbox stores and serves, by the apiVersion and kind a storage envelope
// names (runtime.Unknown's typeMeta), and the storage message of each.

import { DaemonSet, Deployment, ReplicaSet } from './schema-apps.js';
import { ConfigMap, Secret, Service } from './schema-config.js';
import { Namespace, Node } from './schema-node.js';
import { Pod } from './schema-pod.js';
import { ClusterRole } from './schema-rbac.js';
import type { Message } from './schema.js';

const KINDS: Record<string, Message> = {
  'v1/Namespace': Namespace,
  'v1/Node': Node,
  'v1/Pod': Pod,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'apps/v1/Deployment': Deployment,
  'apps/v1/ReplicaSet': ReplicaSet,
  'apps/v1/DaemonSet': DaemonSet,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
};

export function messageOfKind(apiVersion: string, kind: string): Message | undefined {
  return KINDS[`${apiVersion}/${kind}`];
}

/** "v1 Node, v1 Pod, apps/v1 Deployment, ...": for messages naming what is supported. */
export function supportedKinds(): string[] {
  return Object.keys(KINDS).map((key) => {
    const slash = key.lastIndexOf('/');
    return `${key.slice(0, slash)} ${key.slice(slash + 1)}`;
  });
}
