// Pods and their controllers in the seeded cluster: the static control-plane pods of
// every control-plane node, kube-proxy on every node (a DaemonSet), CoreDNS (2 replicas)
// and a demo web app (3 replicas), each pod Running and Ready on a named node.

import { meta, ownerOf, stableHex, stableSuffix, type KubeObject, type SeedContext, type SeedEntry } from './object-meta.js';

interface PlacedNode {
  name: string;
  ip: string;
  index: number;
}

interface PodSpecInput {
  name: string;
  namespace: string;
  node: PlacedNode;
  podIp: string;
  labels: Record<string, string>;
  owner: ReturnType<typeof ownerOf>;
  containers: { name: string; image: string; command?: string[]; ports?: object[] }[];
  hostNetwork?: boolean;
  priorityClassName?: string;
  annotations?: Record<string, string>;
}

const REGISTRY = 'registry.k8s.io';

export function buildWorkloads(context: SeedContext): SeedEntry[] {
  const nodes: PlacedNode[] = [...context.controlPlane, ...context.workers].map((node, index) => ({ ...node, index }));
  const planes = nodes.slice(0, context.controlPlane.length);
  const workers = nodes.slice(context.controlPlane.length);
  const entries: SeedEntry[] = [];
  const add = (resource: string, object: KubeObject) => {
    const ns = object.metadata.namespace;
    entries.push({ key: `${resource}/${ns ? `${ns}/` : ''}${object.metadata.name}`, object });
  };
  let nextPodIp = 10;
  const podIpOn = (node: PlacedNode) => `10.244.${node.index}.${nextPodIp++}`;

  for (const node of planes) {
    const nodeObject = { apiVersion: 'v1', kind: 'Node', metadata: meta(context, 'Node', node.name) };
    for (const component of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']) {
      const image = component === 'etcd' ? `${REGISTRY}/etcd:3.5.16-0` : `${REGISTRY}/${component}:${context.kubernetesVersion}`;
      const annotations: Record<string, string> = { 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.hash': stableSuffix(component + node.name, 32) };
      if (component === 'etcd') annotations['kubeadm.kubernetes.io/etcd.advertise-client-urls'] = `https://${node.ip}:2379`;
      if (component === 'kube-apiserver') annotations['kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint'] = `${node.ip}:6443`;
      add(
        'pods',
        buildPod(context, {
          name: `${component}-${node.name}`,
          namespace: 'kube-system',
          node,
          podIp: node.ip,
          labels: { component, tier: 'control-plane' },
          owner: ownerOf(nodeObject),
          containers: [{ name: component, image, command: [component] }],
          hostNetwork: true,
          priorityClassName: 'system-node-critical',
          annotations,
        }),
      );
    }
  }

  const proxy = daemonSet(context, 'kube-proxy', 'kube-system', `${REGISTRY}/kube-proxy:${context.kubernetesVersion}`, nodes.length);
  add('daemonsets', proxy);
  for (const node of nodes) {
    add(
      'pods',
      buildPod(context, {
        name: `kube-proxy-${stableSuffix(`kube-proxy/${node.name}`)}`,
        namespace: 'kube-system',
        node,
        podIp: node.ip,
        labels: { 'k8s-app': 'kube-proxy', 'controller-revision-hash': stableSuffix('kube-proxy-rev', 10), 'pod-template-generation': '1' },
        owner: ownerOf(proxy),
        containers: [{ name: 'kube-proxy', image: `${REGISTRY}/kube-proxy:${context.kubernetesVersion}`, command: ['/usr/local/bin/kube-proxy'] }],
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
      }),
    );
  }

  const apps: { name: string; namespace: string; replicas: number; image: string; labels: Record<string, string>; ports: object[]; on: PlacedNode[]; priority?: string }[] = [
    {
      name: 'coredns',
      namespace: 'kube-system',
      replicas: 2,
      image: `${REGISTRY}/coredns/coredns:v1.11.3`,
      labels: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', containerPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
        { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
      ],
      on: planes,
      priority: 'system-cluster-critical',
    },
    {
      name: 'web',
      namespace: 'demo',
      replicas: 3,
      image: 'docker.io/library/nginx:1.27',
      labels: { app: 'web' },
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      on: workers.length > 0 ? workers : nodes,
      priority: undefined,
    },
  ];
  for (const app of apps) {
    const template = { metadata: { labels: app.labels }, spec: { containers: [{ name: app.name, image: app.image, ports: app.ports, resources: {} }] } };
    const deployment = controller(context, 'Deployment', app.name, app.namespace, app.replicas, app.labels, template);
    const hash = stableSuffix(`${app.namespace}/${app.name}/template`, 10);
    const replicaSet = controller(context, 'ReplicaSet', `${app.name}-${hash}`, app.namespace, app.replicas, { ...app.labels, 'pod-template-hash': hash }, template, ownerOf(deployment));
    add('deployments', deployment);
    add('replicasets', replicaSet);
    for (let i = 0; i < app.replicas; i++) {
      const node = app.on[i % app.on.length]!;
      add(
        'pods',
        buildPod(context, {
          name: `${replicaSet.metadata.name}-${stableSuffix(`${replicaSet.metadata.name}/${i}`)}`,
          namespace: app.namespace,
          node,
          podIp: podIpOn(node),
          labels: { ...app.labels, 'pod-template-hash': hash },
          owner: ownerOf(replicaSet),
          containers: template.spec.containers,
          priorityClassName: app.priority,
        }),
      );
    }
  }
  return entries;
}

function buildPod(context: SeedContext, input: PodSpecInput): KubeObject {
  const condition = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: context.now });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(context, 'Pod', input.name, input.namespace, {
      labels: input.labels,
      ...(input.annotations ? { annotations: input.annotations } : {}),
      ownerReferences: [input.owner],
    }),
    spec: {
      nodeName: input.node.name,
      containers: input.containers.map((container) => ({ ...container, imagePullPolicy: 'IfNotPresent', resources: {} })),
      restartPolicy: 'Always',
      dnsPolicy: input.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      ...(input.hostNetwork ? { hostNetwork: true } : {}),
      ...(input.priorityClassName ? { priorityClassName: input.priorityClassName } : {}),
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
    },
    status: {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(condition),
      hostIP: input.node.ip,
      hostIPs: [{ ip: input.node.ip }],
      podIP: input.podIp,
      podIPs: [{ ip: input.podIp }],
      startTime: context.now,
      qosClass: 'BestEffort',
      containerStatuses: input.containers.map((container) => ({
        name: container.name,
        image: container.image,
        imageID: `${container.image.split(':')[0]}@sha256:${stableHex(container.image)}`,
        containerID: `containerd://${stableHex(`${input.namespace}/${input.name}/${container.name}`)}`,
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: context.now } },
        lastState: {},
      })),
    },
  };
}

function controller(
  context: SeedContext,
  kind: 'Deployment' | 'ReplicaSet',
  name: string,
  namespace: string,
  replicas: number,
  labels: Record<string, string>,
  template: object,
  owner?: ReturnType<typeof ownerOf>,
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: meta(context, kind, name, namespace, { labels, generation: 1, ...(owner ? { ownerReferences: [owner] } : {}) }),
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template,
      // The API server's defaults, present in every stored Deployment.
      ...(kind === 'Deployment' ? { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } }, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 } : {}),
    },
    status: {
      observedGeneration: 1,
      replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      ...(kind === 'Deployment'
        ? {
            updatedReplicas: replicas,
            conditions: [
              { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: context.now, lastTransitionTime: context.now },
              {
                type: 'Progressing',
                status: 'True',
                reason: 'NewReplicaSetAvailable',
                message: `ReplicaSet has successfully progressed.`,
                lastUpdateTime: context.now,
                lastTransitionTime: context.now,
              },
            ],
          }
        : { fullyLabeledReplicas: replicas }),
    },
  };
}

function daemonSet(context: SeedContext, name: string, namespace: string, image: string, nodeCount: number): KubeObject {
  const labels = { 'k8s-app': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(context, 'DaemonSet', name, namespace, { labels, generation: 1 }),
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name, image, resources: {} }], hostNetwork: true } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    },
    status: {
      currentNumberScheduled: nodeCount,
      desiredNumberScheduled: nodeCount,
      numberAvailable: nodeCount,
      numberReady: nodeCount,
      updatedNumberScheduled: nodeCount,
      observedGeneration: 1,
      numberMisscheduled: 0,
    },
  };
}
