// core/v1 scheduling constraints of a pod: affinity, tolerations, topology spread.
// Field numbers: kubernetes/api core/v1/generated.proto.

import { LabelSelector } from './schema-meta.js';
import { message } from './schema.js';

const NodeSelectorRequirement = message('NodeSelectorRequirement', {
  key: [1, 'string', 'keep'],
  operator: [2, 'string', 'keep'],
  values: [3, 'string', 'list'],
});

const NodeSelectorTerm = message('NodeSelectorTerm', {
  matchExpressions: [1, () => NodeSelectorRequirement, 'list'],
  matchFields: [2, () => NodeSelectorRequirement, 'list'],
});

const NodeSelector = message('NodeSelector', {
  nodeSelectorTerms: [1, () => NodeSelectorTerm, 'list keep'],
});

const PreferredSchedulingTerm = message('PreferredSchedulingTerm', {
  weight: [1, 'int32', 'keep'],
  preference: [2, () => NodeSelectorTerm],
});

const NodeAffinity = message('NodeAffinity', {
  requiredDuringSchedulingIgnoredDuringExecution: [1, () => NodeSelector, 'ptr'],
  preferredDuringSchedulingIgnoredDuringExecution: [2, () => PreferredSchedulingTerm, 'list'],
});

const PodAffinityTerm = message('PodAffinityTerm', {
  labelSelector: [1, () => LabelSelector, 'ptr'],
  namespaces: [2, 'string', 'list'],
  topologyKey: [3, 'string', 'keep'],
  namespaceSelector: [4, () => LabelSelector, 'ptr'],
  matchLabelKeys: [5, 'string', 'list'],
  mismatchLabelKeys: [6, 'string', 'list'],
});

const WeightedPodAffinityTerm = message('WeightedPodAffinityTerm', {
  weight: [1, 'int32', 'keep'],
  podAffinityTerm: [2, () => PodAffinityTerm],
});

const podAffinity = (name: string) =>
  message(name, {
    requiredDuringSchedulingIgnoredDuringExecution: [1, () => PodAffinityTerm, 'list'],
    preferredDuringSchedulingIgnoredDuringExecution: [2, () => WeightedPodAffinityTerm, 'list'],
  });
const PodAffinity = podAffinity('PodAffinity');
const PodAntiAffinity = podAffinity('PodAntiAffinity');

export const Affinity = message('Affinity', {
  nodeAffinity: [1, () => NodeAffinity, 'ptr'],
  podAffinity: [2, () => PodAffinity, 'ptr'],
  podAntiAffinity: [3, () => PodAntiAffinity, 'ptr'],
});

export const Toleration = message('Toleration', {
  key: [1, 'string'],
  operator: [2, 'string'],
  value: [3, 'string'],
  effect: [4, 'string'],
  tolerationSeconds: [5, 'int64', 'ptr'],
});

export const TopologySpreadConstraint = message('TopologySpreadConstraint', {
  maxSkew: [1, 'int32', 'keep'],
  topologyKey: [2, 'string', 'keep'],
  whenUnsatisfiable: [3, 'string', 'keep'],
  labelSelector: [4, () => LabelSelector, 'ptr'],
  minDomains: [5, 'int32', 'ptr'],
  nodeAffinityPolicy: [6, 'string', 'ptr'],
  nodeTaintsPolicy: [7, 'string', 'ptr'],
  matchLabelKeys: [8, 'string', 'list'],
});
