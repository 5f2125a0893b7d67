// core/v1 Pod: spec (containers in schema-container.ts, volumes in schema-volumes.ts,
// scheduling in schema-scheduling.ts) and status, plus the PodTemplateSpec of the
// workload controllers. Left out (skipped when read): ephemeral containers, resource
// claims, pod-level resources, container volume-mount and resource-health statuses.
// Field numbers: kubernetes/api core/v1/generated.proto.

import { AppArmorProfile, Container, LocalObjectReference, ResourceRequirements, SELinuxOptions, SeccompProfile, WindowsSecurityContextOptions } from './schema-container.js';
import { ObjectMeta } from './schema-meta.js';
import { Affinity, Toleration, TopologySpreadConstraint } from './schema-scheduling.js';
import { Volume } from './schema-volumes.js';
import { message } from './schema.js';

const Sysctl = message('Sysctl', {
  name: [1, 'string', 'keep'],
  value: [2, 'string', 'keep'],
});

const PodSecurityContext = message('PodSecurityContext', {
  seLinuxOptions: [1, () => SELinuxOptions, 'ptr'],
  windowsOptions: [8, () => WindowsSecurityContextOptions, 'ptr'],
  runAsUser: [2, 'int64', 'ptr'],
  runAsGroup: [6, 'int64', 'ptr'],
  runAsNonRoot: [3, 'bool', 'ptr'],
  supplementalGroups: [4, 'int64', 'list'],
  supplementalGroupsPolicy: [12, 'string', 'ptr'],
  fsGroup: [5, 'int64', 'ptr'],
  sysctls: [7, () => Sysctl, 'list'],
  fsGroupChangePolicy: [9, 'string', 'ptr'],
  seccompProfile: [10, () => SeccompProfile, 'ptr'],
  appArmorProfile: [11, () => AppArmorProfile, 'ptr'],
  seLinuxChangePolicy: [13, 'string', 'ptr'],
});

const HostAlias = message('HostAlias', {
  ip: [1, 'string', 'keep'],
  hostnames: [2, 'string', 'list'],
});

const PodDNSConfigOption = message('PodDNSConfigOption', {
  name: [1, 'string'],
  value: [2, 'string', 'ptr'],
});

const PodDNSConfig = message('PodDNSConfig', {
  nameservers: [1, 'string', 'list'],
  searches: [2, 'string', 'list'],
  options: [3, () => PodDNSConfigOption, 'list'],
});

const PodReadinessGate = message('PodReadinessGate', { conditionType: [1, 'string', 'keep'] });
const PodOS = message('PodOS', { name: [1, 'string', 'keep'] });
const PodSchedulingGate = message('PodSchedulingGate', { name: [1, 'string', 'keep'] });

export const PodSpec = message('PodSpec', {
  volumes: [1, () => Volume, 'list'],
  initContainers: [20, () => Container, 'list'],
  containers: [2, () => Container, 'list keep'],
  restartPolicy: [3, 'string'],
  terminationGracePeriodSeconds: [4, 'int64', 'ptr'],
  activeDeadlineSeconds: [5, 'int64', 'ptr'],
  dnsPolicy: [6, 'string'],
  nodeSelector: [7, 'map<string>'],
  serviceAccountName: [8, 'string'],
  serviceAccount: [9, 'string'],
  automountServiceAccountToken: [21, 'bool', 'ptr'],
  nodeName: [10, 'string'],
  hostNetwork: [11, 'bool'],
  hostPID: [12, 'bool'],
  hostIPC: [13, 'bool'],
  shareProcessNamespace: [27, 'bool', 'ptr'],
  securityContext: [14, () => PodSecurityContext, 'ptr'],
  imagePullSecrets: [15, () => LocalObjectReference, 'list'],
  hostname: [16, 'string'],
  subdomain: [17, 'string'],
  affinity: [18, () => Affinity, 'ptr'],
  schedulerName: [19, 'string'],
  tolerations: [22, () => Toleration, 'list'],
  hostAliases: [23, () => HostAlias, 'list'],
  priorityClassName: [24, 'string'],
  priority: [25, 'int32', 'ptr'],
  dnsConfig: [26, () => PodDNSConfig, 'ptr'],
  readinessGates: [28, () => PodReadinessGate, 'list'],
  runtimeClassName: [29, 'string', 'ptr'],
  enableServiceLinks: [30, 'bool', 'ptr'],
  preemptionPolicy: [31, 'string', 'ptr'],
  overhead: [32, 'map<quantity>'],
  topologySpreadConstraints: [33, () => TopologySpreadConstraint, 'list'],
  setHostnameAsFQDN: [35, 'bool', 'ptr'],
  os: [36, () => PodOS, 'ptr'],
  hostUsers: [37, 'bool', 'ptr'],
  schedulingGates: [38, () => PodSchedulingGate, 'list'],
});

const PodCondition = message('PodCondition', {
  type: [1, 'string', 'keep'],
  observedGeneration: [7, 'int64'],
  status: [2, 'string', 'keep'],
  lastProbeTime: [3, 'time'],
  lastTransitionTime: [4, 'time'],
  reason: [5, 'string'],
  message: [6, 'string'],
});

const IP = (name: string) => message(name, { ip: [1, 'string', 'keep'] });
const PodIP = IP('PodIP');
const HostIP = IP('HostIP');

const ContainerStateWaiting = message('ContainerStateWaiting', {
  reason: [1, 'string'],
  message: [2, 'string'],
});

const ContainerStateRunning = message('ContainerStateRunning', {
  startedAt: [1, 'time'],
});

const ContainerStateTerminated = message('ContainerStateTerminated', {
  exitCode: [1, 'int32', 'keep'],
  signal: [2, 'int32'],
  reason: [3, 'string'],
  message: [4, 'string'],
  startedAt: [5, 'time'],
  finishedAt: [6, 'time'],
  containerID: [7, 'string'],
});

const ContainerState = message('ContainerState', {
  waiting: [1, () => ContainerStateWaiting, 'ptr'],
  running: [2, () => ContainerStateRunning, 'ptr'],
  terminated: [3, () => ContainerStateTerminated, 'ptr'],
});

const ContainerStatus = message('ContainerStatus', {
  name: [1, 'string', 'keep'],
  state: [2, () => ContainerState],
  lastState: [3, () => ContainerState],
  ready: [4, 'bool', 'keep'],
  restartCount: [5, 'int32', 'keep'],
  image: [6, 'string', 'keep'],
  imageID: [7, 'string', 'keep'],
  containerID: [8, 'string'],
  started: [9, 'bool', 'ptr'],
  allocatedResources: [10, 'map<quantity>'],
  resources: [11, () => ResourceRequirements, 'ptr'],
});

const PodStatus = message('PodStatus', {
  observedGeneration: [17, 'int64'],
  phase: [1, 'string'],
  conditions: [2, () => PodCondition, 'list'],
  message: [3, 'string'],
  reason: [4, 'string'],
  nominatedNodeName: [11, 'string'],
  hostIP: [5, 'string'],
  hostIPs: [16, () => HostIP, 'list'],
  podIP: [6, 'string'],
  podIPs: [12, () => PodIP, 'list'],
  startTime: [7, 'time', 'ptr'],
  initContainerStatuses: [10, () => ContainerStatus, 'list'],
  containerStatuses: [8, () => ContainerStatus, 'list'],
  qosClass: [9, 'string'],
  ephemeralContainerStatuses: [13, () => ContainerStatus, 'list'],
  resize: [14, 'string'],
});

export const Pod = message('Pod', {
  metadata: [1, () => ObjectMeta],
  spec: [2, () => PodSpec],
  status: [3, () => PodStatus],
});

export const PodTemplateSpec = message('PodTemplateSpec', {
  metadata: [1, () => ObjectMeta],
  spec: [2, () => PodSpec],
});
