// The columns and cells of `kubectl get` for each kind, following the real API
// server's printers (pkg/printers/internalversion) for the fields the seeded objects
// carry. Priority-1 columns show only with -o wide.

import { ageOf } from './age.js';
import type { StoredObject } from './store.js';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  priority?: number;
  description?: string;
}

export interface Printer {
  columns: Column[];
  cells(object: StoredObject, now: number): unknown[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API objects are untyped JSON here; each column reads its own fields by path
type Any = Record<string, any>;
const col = (name: string, type: Column['type'] = 'string', priority = 0, format = ''): Column => ({ name, type, format, priority });
const none = (value: unknown): unknown => (value === undefined || value === null || value === '' ? '<none>' : value);
const age = (object: StoredObject, now: number) => ageOf(object.metadata.creationTimestamp, now);

function nodeStatus(node: Any): string {
  const ready = (node.status?.conditions ?? []).find((condition: Any) => condition.type === 'Ready');
  const status = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  return node.spec?.unschedulable ? `${status},SchedulingDisabled` : status;
}

function nodeRoles(node: Any): string {
  const roles = new Set<string>();
  for (const [label, value] of Object.entries<string>(node.metadata?.labels ?? {})) {
    if (label.startsWith('node-role.kubernetes.io/')) roles.add(label.slice('node-role.kubernetes.io/'.length) || value);
    else if (label === 'kubernetes.io/role' && value) roles.add(value);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function nodeAddress(node: Any, type: string): unknown {
  return none((node.status?.addresses ?? []).find((address: Any) => address.type === type)?.address);
}

function podStatus(pod: Any): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  let reason: string = pod.status?.reason ?? pod.status?.phase ?? 'Unknown';
  for (const container of pod.status?.containerStatuses ?? []) {
    const waiting = container.state?.waiting?.reason;
    const terminated = container.state?.terminated?.reason;
    if (waiting) reason = waiting;
    else if (terminated) reason = terminated;
  }
  return reason;
}

function servicePorts(service: Any): string {
  const ports = (service.spec?.ports ?? []).map((port: Any) => `${port.port}${port.nodePort ? `:${port.nodePort}` : ''}/${port.protocol ?? 'TCP'}`);
  return ports.length ? ports.join(',') : '<none>';
}

function selectorText(selector: Record<string, string> | undefined): string {
  const pairs = Object.entries(selector ?? {}).map(([key, value]) => `${key}=${value}`);
  return pairs.length ? pairs.join(',') : '<none>';
}

function containersOf(object: Any): { names: string; images: string } {
  const containers: Any[] = object.spec?.template?.spec?.containers ?? [];
  return { names: containers.map((c) => c.name).join(','), images: containers.map((c) => c.image).join(',') };
}

export const PRINTERS: Record<string, Printer> = {
  Node: {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Status'),
      col('Roles'),
      col('Age'),
      col('Version'),
      col('Internal-IP', 'string', 1),
      col('External-IP', 'string', 1),
      col('OS-Image', 'string', 1),
      col('Kernel-Version', 'string', 1),
      col('Container-Runtime', 'string', 1),
    ],
    cells: (node: Any, now) => [
      node.metadata.name,
      nodeStatus(node),
      nodeRoles(node),
      age(node as StoredObject, now),
      none(node.status?.nodeInfo?.kubeletVersion),
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      none(node.status?.nodeInfo?.osImage),
      none(node.status?.nodeInfo?.kernelVersion),
      none(node.status?.nodeInfo?.containerRuntimeVersion),
    ],
  },
  Pod: {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Ready'),
      col('Status'),
      col('Restarts'),
      col('Age'),
      col('IP', 'string', 1),
      col('Node', 'string', 1),
      col('Nominated Node', 'string', 1),
      col('Readiness Gates', 'string', 1),
    ],
    cells: (pod: Any, now) => {
      const statuses: Any[] = pod.status?.containerStatuses ?? [];
      const total = (pod.spec?.containers ?? []).length;
      const ready = statuses.filter((status) => status.ready).length;
      const restarts = statuses.reduce((sum, status) => sum + (status.restartCount ?? 0), 0);
      return [
        pod.metadata.name,
        `${ready}/${total}`,
        podStatus(pod),
        String(restarts),
        age(pod as StoredObject, now),
        none(pod.status?.podIP),
        none(pod.spec?.nodeName),
        none(pod.status?.nominatedNodeName),
        '<none>',
      ];
    },
  },
  Namespace: {
    columns: [col('Name', 'string', 0, 'name'), col('Status'), col('Age')],
    cells: (ns: Any, now) => [ns.metadata.name, ns.status?.phase ?? 'Active', age(ns as StoredObject, now)],
  },
  Service: {
    columns: [col('Name', 'string', 0, 'name'), col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), col('Age'), col('Selector', 'string', 1)],
    cells: (svc: Any, now) => [
      svc.metadata.name,
      svc.spec?.type ?? 'ClusterIP',
      none(svc.spec?.clusterIP),
      none((svc.spec?.externalIPs ?? []).join(',')),
      servicePorts(svc),
      age(svc as StoredObject, now),
      selectorText(svc.spec?.selector),
    ],
  },
  ConfigMap: {
    columns: [col('Name', 'string', 0, 'name'), col('Data', 'integer'), col('Age')],
    cells: (cm: Any, now) => [cm.metadata.name, Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm as StoredObject, now)],
  },
  Secret: {
    columns: [col('Name', 'string', 0, 'name'), col('Type'), col('Data', 'integer'), col('Age')],
    cells: (secret: Any, now) => [secret.metadata.name, secret.type ?? 'Opaque', Object.keys(secret.data ?? {}).length, age(secret as StoredObject, now)],
  },
  Deployment: {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Ready'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Age'),
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    cells: (d: Any, now) => {
      const { names, images } = containersOf(d);
      return [
        d.metadata.name,
        `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        d.status?.updatedReplicas ?? 0,
        d.status?.availableReplicas ?? 0,
        age(d as StoredObject, now),
        names,
        images,
        selectorText(d.spec?.selector?.matchLabels),
      ];
    },
  },
  ReplicaSet: {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Age'),
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    cells: (rs: Any, now) => {
      const { names, images } = containersOf(rs);
      return [
        rs.metadata.name,
        rs.spec?.replicas ?? 0,
        rs.status?.replicas ?? 0,
        rs.status?.readyReplicas ?? 0,
        age(rs as StoredObject, now),
        names,
        images,
        selectorText(rs.spec?.selector?.matchLabels),
      ];
    },
  },
  DaemonSet: {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Node Selector'),
      col('Age'),
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    cells: (ds: Any, now) => {
      const { names, images } = containersOf(ds);
      const s = ds.status ?? {};
      return [
        ds.metadata.name,
        s.desiredNumberScheduled ?? 0,
        s.currentNumberScheduled ?? 0,
        s.numberReady ?? 0,
        s.updatedNumberScheduled ?? 0,
        s.numberAvailable ?? 0,
        selectorText(ds.spec?.template?.spec?.nodeSelector),
        age(ds as StoredObject, now),
        names,
        images,
        selectorText(ds.spec?.selector?.matchLabels),
      ];
    },
  },
};

/** What the real API server prints for kinds without a printer. */
export const DEFAULT_PRINTER: Printer = {
  columns: [col('Name', 'string', 0, 'name'), { ...col('Created At', 'date'), description: 'CreationTimestamp' }],
  cells: (object) => [object.metadata.name, object.metadata.creationTimestamp ?? null],
};
