// Services, config maps, secrets and cluster roles of the seeded cluster. Keys follow the
// real API server's layout: services live under services/specs/, every namespace holds
// the kube-root-ca.crt config map, secret data is base64.

import { SEED_NAMESPACES } from './seed-nodes.js';
import { meta, toBase64, type KubeObject, type SeedContext, type SeedEntry } from './object-meta.js';

export function buildConfig(context: SeedContext, caPem: string): SeedEntry[] {
  const entries: SeedEntry[] = [];
  const add = (resource: string, object: KubeObject) => {
    const ns = object.metadata.namespace;
    entries.push({ key: `${resource}/${ns ? `${ns}/` : ''}${object.metadata.name}`, object });
  };
  for (const service of buildServices(context)) add('services/specs', service);
  for (const namespace of SEED_NAMESPACES) add('configmaps', configMap(context, 'kube-root-ca.crt', namespace, { 'ca.crt': caPem }));
  const endpoints = context.controlPlane.map((node) => `${node.ip}:6443`);
  add(
    'configmaps',
    configMap(context, 'kubeadm-config', 'kube-system', {
      ClusterConfiguration: [
        'apiVersion: kubeadm.k8s.io/v1beta4',
        'kind: ClusterConfiguration',
        `kubernetesVersion: ${context.kubernetesVersion}`,
        `controlPlaneEndpoint: ${endpoints[0]}`,
        'networking:',
        '  podSubnet: 10.244.0.0/16',
        '  serviceSubnet: 10.96.0.0/12',
        'etcd:',
        '  local:',
        '    dataDir: /var/lib/etcd',
        '',
      ].join('\n'),
    }),
  );
  add(
    'configmaps',
    configMap(context, 'coredns', 'kube-system', {
      Corefile: '.:53 {\n    errors\n    health\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n    cache 30\n}\n',
    }),
  );
  add('configmaps', configMap(context, 'web-config', 'demo', { 'index.html': '<h1>drbook demo</h1>\n', LOG_LEVEL: 'info' }));
  add(
    'secrets',
    secret(context, 'bootstrap-token-abcdef', 'kube-system', 'bootstrap.kubernetes.io/token', {
      'token-id': 'abcdef',
      'token-secret': '0123456789abcdef',
      'usage-bootstrap-authentication': 'true',
      'usage-bootstrap-signing': 'true',
    }),
  );
  add('secrets', secret(context, 'web-credentials', 'demo', 'Opaque', { username: 'web', password: 'not-a-real-password' }));
  for (const role of buildClusterRoles(context)) add('clusterroles', role);
  return entries;
}

function buildServices(context: SeedContext): KubeObject[] {
  const service = (name: string, namespace: string, clusterIP: string, ports: object[], selector?: Record<string, string>, labels?: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(context, 'Service', name, namespace, labels ? { labels } : {}),
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      ports,
      ...(selector ? { selector } : {}),
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    },
    status: { loadBalancer: {} },
  });
  return [
    service('kubernetes', 'default', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }], undefined, { component: 'apiserver', provider: 'kubernetes' }),
    service(
      'kube-dns',
      'kube-system',
      '10.96.0.10',
      [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
      { 'k8s-app': 'kube-dns' },
      { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' },
    ),
    service('web', 'demo', '10.96.120.15', [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 80 }], { app: 'web' }, { app: 'web' }),
  ];
}

function configMap(context: SeedContext, name: string, namespace: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(context, 'ConfigMap', name, namespace), data };
}

function secret(context: SeedContext, name: string, namespace: string, type: string, data: Record<string, string>): KubeObject {
  const encoded = Object.fromEntries(Object.entries(data).map(([key, value]) => [key, toBase64(value)]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta(context, 'Secret', name, namespace), type, data: encoded };
}

function buildClusterRoles(context: SeedContext): KubeObject[] {
  const role = (name: string, rules: object[], labels: Record<string, string> = { 'kubernetes.io/bootstrapping': 'rbac-defaults' }): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: meta(context, 'ClusterRole', name, undefined, { ...(Object.keys(labels).length ? { labels } : {}), annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } }),
    rules,
  });
  const read = ['get', 'list', 'watch'];
  const write = ['create', 'delete', 'deletecollection', 'patch', 'update'];
  return [
    role('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    role('admin', [{ apiGroups: ['', 'apps'], resources: ['pods', 'services', 'configmaps', 'secrets', 'deployments'], verbs: [...read, ...write] }]),
    role('edit', [{ apiGroups: ['', 'apps'], resources: ['pods', 'services', 'configmaps', 'deployments'], verbs: [...read, ...write] }]),
    role('view', [{ apiGroups: ['', 'apps'], resources: ['pods', 'services', 'configmaps', 'deployments'], verbs: read }]),
    role(
      'system:coredns',
      [
        { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
      {},
    ),
  ];
}
