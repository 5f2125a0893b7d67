// The storage media types of kube-apiserver's --storage-media-type that the sandbox
// writes and reads (application/yaml, also accepted by a real API server, is not used).

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
export const JSON_MEDIA_TYPE = 'application/json';
export type StorageMediaType = typeof PROTOBUF_MEDIA_TYPE | typeof JSON_MEDIA_TYPE;
