// rbac.authorization.k8s.io/v1 ClusterRole, every field. Field numbers: kubernetes/api
// rbac/v1/generated.proto.

import { LabelSelector, ObjectMeta } from './schema-meta.js';
import { message } from './schema.js';

const PolicyRule = message('PolicyRule', {
  verbs: [1, 'string', 'list keep'],
  apiGroups: [2, 'string', 'list'],
  resources: [3, 'string', 'list'],
  resourceNames: [4, 'string', 'list'],
  nonResourceURLs: [5, 'string', 'list'],
});

const AggregationRule = message('AggregationRule', {
  clusterRoleSelectors: [1, () => LabelSelector, 'list'],
});

export const ClusterRole = message('ClusterRole', {
  metadata: [1, () => ObjectMeta],
  rules: [2, () => PolicyRule, 'list keep'],
  aggregationRule: [3, () => AggregationRule, 'ptr'],
});
