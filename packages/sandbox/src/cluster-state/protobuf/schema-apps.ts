// apps/v1 Deployment, ReplicaSet and DaemonSet, every field. Field numbers: kubernetes/api
// apps/v1/generated.proto.

import { LabelSelector, ObjectMeta } from './schema-meta.js';
import { PodTemplateSpec } from './schema-pod.js';
import { message } from './schema.js';

const rollingUpdate = (name: string) =>
  message(name, {
    maxUnavailable: [1, 'intOrString', 'ptr'],
    maxSurge: [2, 'intOrString', 'ptr'],
  });
const RollingUpdateDeployment = rollingUpdate('RollingUpdateDeployment');
const RollingUpdateDaemonSet = rollingUpdate('RollingUpdateDaemonSet');

const DeploymentStrategy = message('DeploymentStrategy', {
  type: [1, 'string'],
  rollingUpdate: [2, () => RollingUpdateDeployment, 'ptr'],
});

const DeploymentSpec = message('DeploymentSpec', {
  replicas: [1, 'int32', 'ptr'],
  selector: [2, () => LabelSelector, 'ptr keep'],
  template: [3, () => PodTemplateSpec],
  strategy: [4, () => DeploymentStrategy],
  minReadySeconds: [5, 'int32'],
  revisionHistoryLimit: [6, 'int32', 'ptr'],
  paused: [7, 'bool'],
  progressDeadlineSeconds: [9, 'int32', 'ptr'],
});

const DeploymentCondition = message('DeploymentCondition', {
  type: [1, 'string', 'keep'],
  status: [2, 'string', 'keep'],
  lastUpdateTime: [6, 'time'],
  lastTransitionTime: [7, 'time'],
  reason: [4, 'string'],
  message: [5, 'string'],
});

const DeploymentStatus = message('DeploymentStatus', {
  observedGeneration: [1, 'int64'],
  replicas: [2, 'int32'],
  updatedReplicas: [3, 'int32'],
  readyReplicas: [7, 'int32'],
  availableReplicas: [4, 'int32'],
  unavailableReplicas: [5, 'int32'],
  terminatingReplicas: [9, 'int32', 'ptr'],
  conditions: [6, () => DeploymentCondition, 'list'],
  collisionCount: [8, 'int32', 'ptr'],
});

export const Deployment = message('Deployment', {
  metadata: [1, () => ObjectMeta],
  spec: [2, () => DeploymentSpec],
  status: [3, () => DeploymentStatus],
});

const ReplicaSetSpec = message('ReplicaSetSpec', {
  replicas: [1, 'int32', 'ptr'],
  minReadySeconds: [4, 'int32'],
  selector: [2, () => LabelSelector, 'ptr keep'],
  template: [3, () => PodTemplateSpec],
});

const condition = (name: string) =>
  message(name, {
    type: [1, 'string', 'keep'],
    status: [2, 'string', 'keep'],
    lastTransitionTime: [3, 'time'],
    reason: [4, 'string'],
    message: [5, 'string'],
  });
const ReplicaSetCondition = condition('ReplicaSetCondition');
const DaemonSetCondition = condition('DaemonSetCondition');

const ReplicaSetStatus = message('ReplicaSetStatus', {
  replicas: [1, 'int32', 'keep'],
  fullyLabeledReplicas: [2, 'int32'],
  readyReplicas: [4, 'int32'],
  availableReplicas: [5, 'int32'],
  terminatingReplicas: [7, 'int32', 'ptr'],
  observedGeneration: [3, 'int64'],
  conditions: [6, () => ReplicaSetCondition, 'list'],
});

export const ReplicaSet = message('ReplicaSet', {
  metadata: [1, () => ObjectMeta],
  spec: [2, () => ReplicaSetSpec],
  status: [3, () => ReplicaSetStatus],
});

const DaemonSetUpdateStrategy = message('DaemonSetUpdateStrategy', {
  type: [1, 'string'],
  rollingUpdate: [2, () => RollingUpdateDaemonSet, 'ptr'],
});

const DaemonSetSpec = message('DaemonSetSpec', {
  selector: [1, () => LabelSelector, 'ptr keep'],
  template: [2, () => PodTemplateSpec],
  updateStrategy: [3, () => DaemonSetUpdateStrategy],
  minReadySeconds: [4, 'int32'],
  revisionHistoryLimit: [6, 'int32', 'ptr'],
});

const DaemonSetStatus = message('DaemonSetStatus', {
  currentNumberScheduled: [1, 'int32', 'keep'],
  numberMisscheduled: [2, 'int32', 'keep'],
  desiredNumberScheduled: [3, 'int32', 'keep'],
  numberReady: [4, 'int32', 'keep'],
  observedGeneration: [5, 'int64'],
  updatedNumberScheduled: [6, 'int32'],
  numberAvailable: [7, 'int32'],
  numberUnavailable: [8, 'int32'],
  collisionCount: [9, 'int32', 'ptr'],
  conditions: [10, () => DaemonSetCondition, 'list'],
});

export const DaemonSet = message('DaemonSet', {
  metadata: [1, () => ObjectMeta],
  spec: [2, () => DaemonSetSpec],
  status: [3, () => DaemonSetStatus],
});
