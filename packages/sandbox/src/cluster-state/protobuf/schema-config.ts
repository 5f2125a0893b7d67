// core/v1 Service, ConfigMap and Secret, every field. Field numbers: kubernetes/api
// core/v1/generated.proto.

import { Condition, ObjectMeta } from './schema-meta.js';
import { message } from './schema.js';

const ServicePort = message('ServicePort', {
  name: [1, 'string'],
  protocol: [2, 'string'],
  appProtocol: [6, 'string', 'ptr'],
  port: [3, 'int32', 'keep'],
  targetPort: [4, 'intOrString'],
  nodePort: [5, 'int32'],
});

const ClientIPConfig = message('ClientIPConfig', {
  timeoutSeconds: [1, 'int32', 'ptr'],
});

const SessionAffinityConfig = message('SessionAffinityConfig', {
  clientIP: [1, () => ClientIPConfig, 'ptr'],
});

const ServiceSpec = message('ServiceSpec', {
  ports: [1, () => ServicePort, 'list'],
  selector: [2, 'map<string>'],
  clusterIP: [3, 'string'],
  clusterIPs: [18, 'string', 'list'],
  type: [4, 'string'],
  externalIPs: [5, 'string', 'list'],
  sessionAffinity: [7, 'string'],
  loadBalancerIP: [8, 'string'],
  loadBalancerSourceRanges: [9, 'string', 'list'],
  externalName: [10, 'string'],
  externalTrafficPolicy: [11, 'string'],
  healthCheckNodePort: [12, 'int32'],
  publishNotReadyAddresses: [13, 'bool'],
  sessionAffinityConfig: [14, () => SessionAffinityConfig, 'ptr'],
  ipFamilies: [19, 'string', 'list'],
  ipFamilyPolicy: [17, 'string', 'ptr'],
  allocateLoadBalancerNodePorts: [20, 'bool', 'ptr'],
  loadBalancerClass: [21, 'string', 'ptr'],
  internalTrafficPolicy: [22, 'string', 'ptr'],
  trafficDistribution: [23, 'string', 'ptr'],
});

const PortStatus = message('PortStatus', {
  port: [1, 'int32', 'keep'],
  protocol: [2, 'string', 'keep'],
  error: [3, 'string', 'ptr'],
});

const LoadBalancerIngress = message('LoadBalancerIngress', {
  ip: [1, 'string'],
  hostname: [2, 'string'],
  ipMode: [3, 'string', 'ptr'],
  ports: [4, () => PortStatus, 'list'],
});

const LoadBalancerStatus = message('LoadBalancerStatus', {
  ingress: [1, () => LoadBalancerIngress, 'list'],
});

const ServiceStatus = message('ServiceStatus', {
  loadBalancer: [1, () => LoadBalancerStatus],
  conditions: [2, () => Condition, 'list'],
});

export const Service = message('Service', {
  metadata: [1, () => ObjectMeta],
  spec: [2, () => ServiceSpec],
  status: [3, () => ServiceStatus],
});

export const ConfigMap = message('ConfigMap', {
  metadata: [1, () => ObjectMeta],
  immutable: [4, 'bool', 'ptr'],
  data: [2, 'map<string>'],
  binaryData: [3, 'map<bytes>'],
});

export const Secret = message('Secret', {
  metadata: [1, () => ObjectMeta],
  immutable: [5, 'bool', 'ptr'],
  data: [2, 'map<bytes>'],
  stringData: [4, 'map<string>'],
  type: [3, 'string'],
});
