// The shape kubeadm 1.32 gives every control-plane static pod, reproduced from its
// cmd/kubeadm/app/util/staticpod (ComponentPod, the probe helpers, the volume helpers)
// and util.ArgumentsToCommand, and written the way kubeadm writes the file: the Pod
// marshalled to JSON and converted to YAML, so every map's keys are sorted, lists are not
// indented under their key, and the empty fields Go prints (creationTimestamp: null,
// status: {}) are there. A manifest that differs from kubeadm's would let a reader pass
// on the sandbox and fail on a real master.

import { stringify } from 'yaml';

/** kubeadm's priority for the system-node-critical class. */
const SYSTEM_NODE_CRITICAL = 2000001000;
/** kubeadm's ControlPlaneComponentHealthCheck timeout (4 min): the startup probe's budget. */
const COMPONENT_HEALTH_CHECK_SECONDS = 240;

export interface ProbeTarget {
  host: string;
  port: number;
  scheme: 'HTTP' | 'HTTPS';
}

type HttpGet = { host: string; path: string; port: number; scheme: string };

function httpGet(target: ProbeTarget, path: string): HttpGet {
  return { host: target.host, path, port: target.port, scheme: target.scheme };
}

export function livenessProbe(target: ProbeTarget, path: string) {
  return { failureThreshold: 8, httpGet: httpGet(target, path), initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15 };
}

export function readinessProbe(target: ProbeTarget, path: string) {
  return { failureThreshold: 3, httpGet: httpGet(target, path), periodSeconds: 1, timeoutSeconds: 15 };
}

export function startupProbe(target: ProbeTarget, path: string) {
  const periodSeconds = 10;
  return {
    failureThreshold: Math.ceil(COMPONENT_HEALTH_CHECK_SECONDS / periodSeconds),
    httpGet: httpGet(target, path),
    initialDelaySeconds: 10,
    periodSeconds,
    timeoutSeconds: 15,
  };
}

export type HostPathType = 'DirectoryOrCreate' | 'FileOrCreate';

/** One hostPath volume and its mount (kubeadm mounts every one at its host path). */
export interface HostPathMount {
  name: string;
  path: string;
  type: HostPathType;
  readOnly: boolean;
}

/** `--name=value` for every argument, sorted by name (kubeadm's ArgumentsToCommand). */
export function argumentsToCommand(args: Record<string, string>): string[] {
  return Object.keys(args)
    .sort()
    .map((name) => `--${name}=${args[name]}`);
}

export interface ComponentSpec {
  name: string;
  command: string[];
  image: string;
  livenessProbe?: object;
  readinessProbe?: object;
  startupProbe?: object;
  requests: { cpu: string; memory?: string };
  mounts: HostPathMount[];
  /** kubeadm lists etcd's mounts in its own order; the other components' are sorted by name. */
  keepMountOrder?: boolean;
  annotations?: Record<string, string>;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The Pod object of staticpodutil.ComponentPod. */
export function componentPod(spec: ComponentSpec): Record<string, unknown> {
  const mounts = spec.keepMountOrder ? spec.mounts : [...spec.mounts].sort(byName);
  const container: Record<string, unknown> = {
    command: spec.command,
    image: spec.image,
    imagePullPolicy: 'IfNotPresent',
    ...(spec.livenessProbe ? { livenessProbe: spec.livenessProbe } : {}),
    name: spec.name,
    ...(spec.readinessProbe ? { readinessProbe: spec.readinessProbe } : {}),
    resources: { requests: spec.requests },
    ...(spec.startupProbe ? { startupProbe: spec.startupProbe } : {}),
    volumeMounts: mounts.map((m) => ({ mountPath: m.path, name: m.name, ...(m.readOnly ? { readOnly: true } : {}) })),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
      creationTimestamp: null,
      labels: { component: spec.name, tier: 'control-plane' },
      name: spec.name,
      namespace: 'kube-system',
    },
    spec: {
      containers: [container],
      hostNetwork: true,
      priority: SYSTEM_NODE_CRITICAL,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [...spec.mounts].sort(byName).map((m) => ({ hostPath: { path: m.path, type: m.type }, name: m.name })),
    },
    status: {},
  };
}

/** The file as kubeadm writes it (sigs.k8s.io/yaml: sorted keys, unindented lists). */
export function serializeStaticPod(pod: Record<string, unknown>): string {
  return stringify(pod, { sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}
