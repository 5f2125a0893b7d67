// core/v1 Volume with the sources control planes and their add-ons use: hostPath,
// emptyDir, secret, configMap, projected (service account tokens), downwardAPI and
// persistentVolumeClaim. A volume of another source decodes with its name only (the
// source is skipped like any unknown field). Field numbers: kubernetes/api
// core/v1/generated.proto.

import { LocalObjectReference, ObjectFieldSelector, ResourceFieldSelector } from './schema-container.js';
import { message } from './schema.js';

const KeyToPath = message('KeyToPath', {
  key: [1, 'string', 'keep'],
  path: [2, 'string', 'keep'],
  mode: [3, 'int32', 'ptr'],
});

const HostPathVolumeSource = message('HostPathVolumeSource', {
  path: [1, 'string', 'keep'],
  type: [2, 'string', 'ptr'],
});

const EmptyDirVolumeSource = message('EmptyDirVolumeSource', {
  medium: [1, 'string'],
  sizeLimit: [2, 'quantity', 'ptr'],
});

const SecretVolumeSource = message('SecretVolumeSource', {
  secretName: [1, 'string'],
  items: [2, () => KeyToPath, 'list'],
  defaultMode: [3, 'int32', 'ptr'],
  optional: [4, 'bool', 'ptr'],
});

const ConfigMapVolumeSource = message('ConfigMapVolumeSource', {
  localObjectReference: [1, () => LocalObjectReference, 'inline'],
  items: [2, () => KeyToPath, 'list'],
  defaultMode: [3, 'int32', 'ptr'],
  optional: [4, 'bool', 'ptr'],
});

const PersistentVolumeClaimVolumeSource = message('PersistentVolumeClaimVolumeSource', {
  claimName: [1, 'string', 'keep'],
  readOnly: [2, 'bool'],
});

const DownwardAPIVolumeFile = message('DownwardAPIVolumeFile', {
  path: [1, 'string', 'keep'],
  fieldRef: [2, () => ObjectFieldSelector, 'ptr'],
  resourceFieldRef: [3, () => ResourceFieldSelector, 'ptr'],
  mode: [4, 'int32', 'ptr'],
});

const DownwardAPIVolumeSource = message('DownwardAPIVolumeSource', {
  items: [1, () => DownwardAPIVolumeFile, 'list'],
  defaultMode: [2, 'int32', 'ptr'],
});

const SecretProjection = message('SecretProjection', {
  localObjectReference: [1, () => LocalObjectReference, 'inline'],
  items: [2, () => KeyToPath, 'list'],
  optional: [4, 'bool', 'ptr'],
});

const ConfigMapProjection = message('ConfigMapProjection', {
  localObjectReference: [1, () => LocalObjectReference, 'inline'],
  items: [2, () => KeyToPath, 'list'],
  optional: [4, 'bool', 'ptr'],
});

const DownwardAPIProjection = message('DownwardAPIProjection', {
  items: [1, () => DownwardAPIVolumeFile, 'list'],
});

const ServiceAccountTokenProjection = message('ServiceAccountTokenProjection', {
  audience: [1, 'string'],
  expirationSeconds: [2, 'int64', 'ptr'],
  path: [3, 'string', 'keep'],
});

const VolumeProjection = message('VolumeProjection', {
  secret: [1, () => SecretProjection, 'ptr'],
  downwardAPI: [2, () => DownwardAPIProjection, 'ptr'],
  configMap: [3, () => ConfigMapProjection, 'ptr'],
  serviceAccountToken: [4, () => ServiceAccountTokenProjection, 'ptr'],
});

const ProjectedVolumeSource = message('ProjectedVolumeSource', {
  sources: [1, () => VolumeProjection, 'list keep'],
  defaultMode: [2, 'int32', 'ptr'],
});

const VolumeSource = message('VolumeSource', {
  hostPath: [1, () => HostPathVolumeSource, 'ptr'],
  emptyDir: [2, () => EmptyDirVolumeSource, 'ptr'],
  secret: [6, () => SecretVolumeSource, 'ptr'],
  persistentVolumeClaim: [10, () => PersistentVolumeClaimVolumeSource, 'ptr'],
  downwardAPI: [16, () => DownwardAPIVolumeSource, 'ptr'],
  configMap: [19, () => ConfigMapVolumeSource, 'ptr'],
  projected: [26, () => ProjectedVolumeSource, 'ptr'],
});

export const Volume = message('Volume', {
  name: [1, 'string', 'keep'],
  volumeSource: [2, () => VolumeSource, 'inline'],
});
