// How the sandbox's API server "writes" (the seed stores) objects: the kube-apiserver
// flag --storage-media-type. A real API server writes protobuf unless told
// application/json; the sandbox does the same, and its manifest says so the same way.

// Loads no codec: the CLI and `sandbox up` import this file.

import { SandboxInputError } from '../errors.js';
import { JSON_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE, type StorageMediaType } from './protobuf/media-types.js';

export { JSON_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE, type StorageMediaType } from './protobuf/media-types.js';

export const DEFAULT_STORAGE_MEDIA_TYPE: StorageMediaType = PROTOBUF_MEDIA_TYPE;

const ALIASES: Record<string, StorageMediaType> = {
  [PROTOBUF_MEDIA_TYPE]: PROTOBUF_MEDIA_TYPE,
  protobuf: PROTOBUF_MEDIA_TYPE,
  proto: PROTOBUF_MEDIA_TYPE,
  [JSON_MEDIA_TYPE]: JSON_MEDIA_TYPE,
  json: JSON_MEDIA_TYPE,
};

/** `protobuf`, `json` or the media types themselves. */
export function parseStorageMediaType(text: string, flag = '--storage-media-type'): StorageMediaType {
  const mediaType = ALIASES[text.trim().toLowerCase()];
  if (!mediaType) {
    throw new SandboxInputError(`${flag}: expected ${PROTOBUF_MEDIA_TYPE} (or protobuf) or ${JSON_MEDIA_TYPE} (or json), got "${text}"`);
  }
  return mediaType;
}

/** Short name for messages: "protobuf" or "JSON". */
export function describeStorageMediaType(mediaType: StorageMediaType): string {
  return mediaType === JSON_MEDIA_TYPE ? 'JSON' : 'protobuf';
}

/**
 * The kube-apiserver flag for a media type: none for protobuf (the API server's default,
 * which a kubeadm manifest never spells out), --storage-media-type=application/json
 * otherwise (as kubeadm writes it from ClusterConfiguration apiServer.extraArgs).
 */
export function storageMediaTypeFlags(mediaType: StorageMediaType): string[] {
  return mediaType === DEFAULT_STORAGE_MEDIA_TYPE ? [] : [`--storage-media-type=${mediaType}`];
}
