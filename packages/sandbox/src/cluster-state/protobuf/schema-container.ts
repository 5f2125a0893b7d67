// core/v1 Container and what it holds: ports, environment, resources, mounts, probes,
// lifecycle hooks, security context. Left out (skipped when read, like any unknown
// field): resizePolicy, restartPolicyRules, env fileKeyRef. Field numbers: kubernetes/api
// core/v1/generated.proto.

import { message } from './schema.js';

export const LocalObjectReference = message('LocalObjectReference', {
  name: [1, 'string'],
});

const ContainerPort = message('ContainerPort', {
  name: [1, 'string'],
  hostPort: [2, 'int32'],
  containerPort: [3, 'int32', 'keep'],
  protocol: [4, 'string'],
  hostIP: [5, 'string'],
});

export const ObjectFieldSelector = message('ObjectFieldSelector', {
  apiVersion: [1, 'string'],
  fieldPath: [2, 'string', 'keep'],
});

export const ResourceFieldSelector = message('ResourceFieldSelector', {
  containerName: [1, 'string'],
  resource: [2, 'string', 'keep'],
  divisor: [3, 'quantity'],
});

const keySelector = (name: string) =>
  message(name, {
    localObjectReference: [1, () => LocalObjectReference, 'inline'],
    key: [2, 'string', 'keep'],
    optional: [3, 'bool', 'ptr'],
  });
const ConfigMapKeySelector = keySelector('ConfigMapKeySelector');
const SecretKeySelector = keySelector('SecretKeySelector');

const EnvVarSource = message('EnvVarSource', {
  fieldRef: [1, () => ObjectFieldSelector, 'ptr'],
  resourceFieldRef: [2, () => ResourceFieldSelector, 'ptr'],
  configMapKeyRef: [3, () => ConfigMapKeySelector, 'ptr'],
  secretKeyRef: [4, () => SecretKeySelector, 'ptr'],
});

const EnvVar = message('EnvVar', {
  name: [1, 'string', 'keep'],
  value: [2, 'string'],
  valueFrom: [3, () => EnvVarSource, 'ptr'],
});

const envSource = (name: string) =>
  message(name, {
    localObjectReference: [1, () => LocalObjectReference, 'inline'],
    optional: [2, 'bool', 'ptr'],
  });
const ConfigMapEnvSource = envSource('ConfigMapEnvSource');
const SecretEnvSource = envSource('SecretEnvSource');

const EnvFromSource = message('EnvFromSource', {
  prefix: [1, 'string'],
  configMapRef: [2, () => ConfigMapEnvSource, 'ptr'],
  secretRef: [3, () => SecretEnvSource, 'ptr'],
});

const ResourceClaim = message('ResourceClaim', {
  name: [1, 'string', 'keep'],
  request: [2, 'string'],
});

export const ResourceRequirements = message('ResourceRequirements', {
  limits: [1, 'map<quantity>'],
  requests: [2, 'map<quantity>'],
  claims: [3, () => ResourceClaim, 'list'],
});

const VolumeMount = message('VolumeMount', {
  name: [1, 'string', 'keep'],
  readOnly: [2, 'bool'],
  recursiveReadOnly: [7, 'string', 'ptr'],
  mountPath: [3, 'string', 'keep'],
  subPath: [4, 'string'],
  mountPropagation: [5, 'string', 'ptr'],
  subPathExpr: [6, 'string'],
  bindMountOptions: [8, 'string', 'list'],
});

const VolumeDevice = message('VolumeDevice', {
  name: [1, 'string', 'keep'],
  devicePath: [2, 'string', 'keep'],
});

const ExecAction = message('ExecAction', {
  command: [1, 'string', 'list'],
});

const HTTPHeader = message('HTTPHeader', {
  name: [1, 'string', 'keep'],
  value: [2, 'string', 'keep'],
});

const HTTPGetAction = message('HTTPGetAction', {
  path: [1, 'string'],
  port: [2, 'intOrString', 'keep'],
  host: [3, 'string'],
  scheme: [4, 'string'],
  httpHeaders: [5, () => HTTPHeader, 'list'],
});

const TCPSocketAction = message('TCPSocketAction', {
  port: [1, 'intOrString', 'keep'],
  host: [2, 'string'],
});

const GRPCAction = message('GRPCAction', {
  port: [1, 'int32', 'keep'],
  service: [2, 'string', 'ptr keep'],
});

const ProbeHandler = message('ProbeHandler', {
  exec: [1, () => ExecAction, 'ptr'],
  httpGet: [2, () => HTTPGetAction, 'ptr'],
  tcpSocket: [3, () => TCPSocketAction, 'ptr'],
  grpc: [4, () => GRPCAction, 'ptr'],
});

const Probe = message('Probe', {
  handler: [1, () => ProbeHandler, 'inline'],
  initialDelaySeconds: [2, 'int32'],
  timeoutSeconds: [3, 'int32'],
  periodSeconds: [4, 'int32'],
  successThreshold: [5, 'int32'],
  failureThreshold: [6, 'int32'],
  terminationGracePeriodSeconds: [7, 'int64', 'ptr'],
});

const SleepAction = message('SleepAction', {
  seconds: [1, 'int64', 'keep'],
});

const LifecycleHandler = message('LifecycleHandler', {
  exec: [1, () => ExecAction, 'ptr'],
  httpGet: [2, () => HTTPGetAction, 'ptr'],
  tcpSocket: [3, () => TCPSocketAction, 'ptr'],
  sleep: [4, () => SleepAction, 'ptr'],
});

const Lifecycle = message('Lifecycle', {
  postStart: [1, () => LifecycleHandler, 'ptr'],
  preStop: [2, () => LifecycleHandler, 'ptr'],
  stopSignal: [3, 'string', 'ptr'],
});

const Capabilities = message('Capabilities', {
  add: [1, 'string', 'list'],
  drop: [2, 'string', 'list'],
});

export const SELinuxOptions = message('SELinuxOptions', {
  user: [1, 'string'],
  role: [2, 'string'],
  type: [3, 'string'],
  level: [4, 'string'],
});

export const WindowsSecurityContextOptions = message('WindowsSecurityContextOptions', {
  gmsaCredentialSpecName: [1, 'string', 'ptr'],
  gmsaCredentialSpec: [2, 'string', 'ptr'],
  runAsUserName: [3, 'string', 'ptr'],
  hostProcess: [4, 'bool', 'ptr'],
});

export const SeccompProfile = message('SeccompProfile', {
  type: [1, 'string', 'keep'],
  localhostProfile: [2, 'string', 'ptr'],
});

export const AppArmorProfile = message('AppArmorProfile', {
  type: [1, 'string', 'keep'],
  localhostProfile: [2, 'string', 'ptr'],
});

const SecurityContext = message('SecurityContext', {
  capabilities: [1, () => Capabilities, 'ptr'],
  privileged: [2, 'bool', 'ptr'],
  seLinuxOptions: [3, () => SELinuxOptions, 'ptr'],
  windowsOptions: [10, () => WindowsSecurityContextOptions, 'ptr'],
  runAsUser: [4, 'int64', 'ptr'],
  runAsGroup: [8, 'int64', 'ptr'],
  runAsNonRoot: [5, 'bool', 'ptr'],
  readOnlyRootFilesystem: [6, 'bool', 'ptr'],
  allowPrivilegeEscalation: [7, 'bool', 'ptr'],
  procMount: [9, 'string', 'ptr'],
  seccompProfile: [11, () => SeccompProfile, 'ptr'],
  appArmorProfile: [12, () => AppArmorProfile, 'ptr'],
});

export const Container = message('Container', {
  name: [1, 'string', 'keep'],
  image: [2, 'string'],
  command: [3, 'string', 'list'],
  args: [4, 'string', 'list'],
  workingDir: [5, 'string'],
  ports: [6, () => ContainerPort, 'list'],
  envFrom: [19, () => EnvFromSource, 'list'],
  env: [7, () => EnvVar, 'list'],
  resources: [8, () => ResourceRequirements],
  restartPolicy: [24, 'string', 'ptr'],
  volumeMounts: [9, () => VolumeMount, 'list'],
  volumeDevices: [21, () => VolumeDevice, 'list'],
  livenessProbe: [10, () => Probe, 'ptr'],
  readinessProbe: [11, () => Probe, 'ptr'],
  startupProbe: [22, () => Probe, 'ptr'],
  lifecycle: [12, () => Lifecycle, 'ptr'],
  terminationMessagePath: [13, 'string'],
  terminationMessagePolicy: [20, 'string'],
  imagePullPolicy: [14, 'string'],
  securityContext: [15, () => SecurityContext, 'ptr'],
  stdin: [16, 'bool'],
  stdinOnce: [17, 'bool'],
  tty: [18, 'bool'],
});
