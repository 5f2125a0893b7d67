// k8s.io/apimachinery meta/v1: the metadata every object carries, and the selectors and
// conditions several kinds share. Field numbers: pkg/apis/meta/v1/generated.proto.

import { message } from './schema.js';

export const OwnerReference = message('OwnerReference', {
  apiVersion: [5, 'string', 'keep'],
  kind: [1, 'string', 'keep'],
  name: [3, 'string', 'keep'],
  uid: [4, 'string', 'keep'],
  controller: [6, 'bool', 'ptr'],
  blockOwnerDeletion: [7, 'bool', 'ptr'],
});

export const ManagedFieldsEntry = message('ManagedFieldsEntry', {
  manager: [1, 'string'],
  operation: [2, 'string'],
  apiVersion: [3, 'string'],
  time: [4, 'time', 'ptr'],
  fieldsType: [6, 'string'],
  fieldsV1: [7, 'fieldsV1', 'ptr'],
  subresource: [8, 'string'],
});

export const ObjectMeta = message('ObjectMeta', {
  name: [1, 'string'],
  generateName: [2, 'string'],
  namespace: [3, 'string'],
  selfLink: [4, 'string'],
  uid: [5, 'string'],
  resourceVersion: [6, 'string'],
  generation: [7, 'int64'],
  creationTimestamp: [8, 'time', 'omitzero'],
  deletionTimestamp: [9, 'time', 'ptr'],
  deletionGracePeriodSeconds: [10, 'int64', 'ptr'],
  labels: [11, 'map<string>'],
  annotations: [12, 'map<string>'],
  ownerReferences: [13, () => OwnerReference, 'list'],
  finalizers: [14, 'string', 'list'],
  managedFields: [17, () => ManagedFieldsEntry, 'list'],
});

export const LabelSelectorRequirement = message('LabelSelectorRequirement', {
  key: [1, 'string', 'keep'],
  operator: [2, 'string', 'keep'],
  values: [3, 'string', 'list'],
});

export const LabelSelector = message('LabelSelector', {
  matchLabels: [1, 'map<string>'],
  matchExpressions: [2, () => LabelSelectorRequirement, 'list'],
});

/** metav1.Condition (Service status); the older per-kind conditions are in their own files. */
export const Condition = message('Condition', {
  type: [1, 'string', 'keep'],
  status: [2, 'string', 'keep'],
  observedGeneration: [3, 'int64'],
  lastTransitionTime: [4, 'time'],
  reason: [5, 'string', 'keep'],
  message: [6, 'string', 'keep'],
});
