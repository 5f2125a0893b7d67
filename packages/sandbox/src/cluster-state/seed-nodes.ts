// Namespaces and nodes of the seeded cluster, shaped as a kubeadm cluster's are:
// control-plane nodes carry the control-plane role label and taint, workers carry no
// role label (kubectl shows <none>), and every node reports Ready=True.

import { meta, type KubeObject, type SeedContext, type SeedEntry } from './object-meta.js';

export const SEED_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'demo'];

export function buildNamespaces(context: SeedContext): SeedEntry[] {
  return SEED_NAMESPACES.map((name) => ({
    key: `namespaces/${name}`,
    object: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: meta(context, 'Namespace', name, undefined, { labels: { 'kubernetes.io/metadata.name': name } }),
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    },
  }));
}

export function buildNodes(context: SeedContext): SeedEntry[] {
  const all = [...context.controlPlane.map((node) => ({ ...node, controlPlane: true })), ...context.workers.map((node) => ({ ...node, controlPlane: false }))];
  return all.map((node, index) => ({ key: `minions/${node.name}`, object: buildNode(context, node, index) }));
}

function buildNode(context: SeedContext, node: { name: string; ip: string; controlPlane: boolean }, index: number): KubeObject {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': node.name,
    'kubernetes.io/os': 'linux',
  };
  if (node.controlPlane) {
    labels['node-role.kubernetes.io/control-plane'] = '';
    labels['node.kubernetes.io/exclude-from-external-load-balancers'] = '';
  }
  const podCIDR = `10.244.${index}.0/24`;
  const resources = { cpu: '2', memory: '4014252Ki', pods: '110', 'ephemeral-storage': '20466256Ki', 'hugepages-2Mi': '0' };
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: context.now,
    lastTransitionTime: context.now,
    reason,
    message,
  });
  const metadata = meta(context, 'Node', node.name, undefined, {
    labels,
    annotations: {
      'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
      'node.alpha.kubernetes.io/ttl': '0',
      'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
    },
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata,
    spec: {
      podCIDR,
      podCIDRs: [podCIDR],
      ...(node.controlPlane ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } : {}),
    },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: node.ip },
        { type: 'Hostname', address: node.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: metadata.uid.replace(/-/g, ''),
        systemUUID: metadata.uid,
        bootID: metadata.uid,
        kernelVersion: '6.1.0-28-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: context.kubernetesVersion,
        kubeProxyVersion: context.kubernetesVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}
