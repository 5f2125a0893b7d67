// core/v1 Node and Namespace, every field of both (so a real Node value decodes whole and
// re-encodes to the same bytes). Field numbers: kubernetes/api core/v1/generated.proto.

import { ObjectMeta } from './schema-meta.js';
import { message } from './schema.js';

const Taint = message('Taint', {
  key: [1, 'string', 'keep'],
  value: [2, 'string'],
  effect: [3, 'string', 'keep'],
  timeAdded: [4, 'time', 'ptr'],
});

const ConfigMapNodeConfigSource = message('ConfigMapNodeConfigSource', {
  namespace: [1, 'string', 'keep'],
  name: [2, 'string', 'keep'],
  uid: [3, 'string'],
  resourceVersion: [4, 'string'],
  kubeletConfigKey: [5, 'string', 'keep'],
});

const NodeConfigSource = message('NodeConfigSource', {
  configMap: [2, () => ConfigMapNodeConfigSource, 'ptr'],
});

const NodePodPreemptionPolicy = message('NodePodPreemptionPolicy', {
  disableResizePreemption: [1, 'string', 'list'],
});

const NodeSpec = message('NodeSpec', {
  podCIDR: [1, 'string'],
  podCIDRs: [7, 'string', 'list'],
  providerID: [3, 'string'],
  unschedulable: [4, 'bool'],
  taints: [5, () => Taint, 'list'],
  configSource: [6, () => NodeConfigSource, 'ptr'],
  externalID: [2, 'string'],
  podPreemptionPolicy: [8, () => NodePodPreemptionPolicy, 'ptr'],
});

const NodeCondition = message('NodeCondition', {
  type: [1, 'string', 'keep'],
  status: [2, 'string', 'keep'],
  lastHeartbeatTime: [3, 'time'],
  lastTransitionTime: [4, 'time'],
  reason: [5, 'string'],
  message: [6, 'string'],
});

const NodeAddress = message('NodeAddress', {
  type: [1, 'string', 'keep'],
  address: [2, 'string', 'keep'],
});

const DaemonEndpoint = message('DaemonEndpoint', {
  Port: [1, 'int32', 'keep'],
});

const NodeDaemonEndpoints = message('NodeDaemonEndpoints', {
  kubeletEndpoint: [1, () => DaemonEndpoint],
});

const NodeSwapStatus = message('NodeSwapStatus', {
  capacity: [1, 'int64', 'ptr'],
});

const NodeSystemInfo = message('NodeSystemInfo', {
  machineID: [1, 'string', 'keep'],
  systemUUID: [2, 'string', 'keep'],
  bootID: [3, 'string', 'keep'],
  kernelVersion: [4, 'string', 'keep'],
  osImage: [5, 'string', 'keep'],
  containerRuntimeVersion: [6, 'string', 'keep'],
  kubeletVersion: [7, 'string', 'keep'],
  kubeProxyVersion: [8, 'string', 'keep'],
  operatingSystem: [9, 'string', 'keep'],
  architecture: [10, 'string', 'keep'],
  swap: [11, () => NodeSwapStatus, 'ptr'],
});

const ContainerImage = message('ContainerImage', {
  names: [1, 'string', 'list keep'],
  sizeBytes: [2, 'int64'],
});

const AttachedVolume = message('AttachedVolume', {
  name: [1, 'string', 'keep'],
  devicePath: [2, 'string', 'keep'],
});

const NodeConfigStatus = message('NodeConfigStatus', {
  assigned: [1, () => NodeConfigSource, 'ptr'],
  active: [2, () => NodeConfigSource, 'ptr'],
  lastKnownGood: [3, () => NodeConfigSource, 'ptr'],
  error: [4, 'string'],
});

const NodeRuntimeHandlerFeatures = message('NodeRuntimeHandlerFeatures', {
  recursiveReadOnlyMounts: [1, 'bool', 'ptr'],
  userNamespaces: [2, 'bool', 'ptr'],
});

const NodeRuntimeHandler = message('NodeRuntimeHandler', {
  name: [1, 'string', 'keep'],
  features: [2, () => NodeRuntimeHandlerFeatures, 'ptr'],
});

const NodeFeatures = message('NodeFeatures', {
  supplementalGroupsPolicy: [1, 'bool', 'ptr'],
});

const NodeStatus = message('NodeStatus', {
  capacity: [1, 'map<quantity>'],
  allocatable: [2, 'map<quantity>'],
  phase: [3, 'string'],
  conditions: [4, () => NodeCondition, 'list'],
  addresses: [5, () => NodeAddress, 'list'],
  daemonEndpoints: [6, () => NodeDaemonEndpoints],
  nodeInfo: [7, () => NodeSystemInfo],
  images: [8, () => ContainerImage, 'list'],
  volumesInUse: [9, 'string', 'list'],
  volumesAttached: [10, () => AttachedVolume, 'list'],
  config: [11, () => NodeConfigStatus, 'ptr'],
  runtimeHandlers: [12, () => NodeRuntimeHandler, 'list'],
  features: [13, () => NodeFeatures, 'ptr'],
  declaredFeatures: [14, 'string', 'list'],
});

export const Node = message('Node', {
  metadata: [1, () => ObjectMeta],
  spec: [2, () => NodeSpec],
  status: [3, () => NodeStatus],
});

const NamespaceCondition = message('NamespaceCondition', {
  type: [1, 'string', 'keep'],
  status: [2, 'string', 'keep'],
  lastTransitionTime: [4, 'time'],
  reason: [5, 'string'],
  message: [6, 'string'],
});

const NamespaceSpec = message('NamespaceSpec', {
  finalizers: [1, 'string', 'list'],
});

const NamespaceStatus = message('NamespaceStatus', {
  phase: [1, 'string'],
  conditions: [2, () => NamespaceCondition, 'list'],
});

export const Namespace = message('Namespace', {
  metadata: [1, () => ObjectMeta],
  spec: [2, () => NamespaceSpec],
  status: [3, () => NamespaceStatus],
});
