// A value under /registry, as a real API server reads it back: recognised by its first
// bytes — "k8s\0" protobuf, "{" JSON (written with --storage-media-type=application/json),
// "k8s:enc:" encrypted at rest — then decoded into the JSON object the API serves. And
// the other way, the bytes a real API server would write for an object.

import { decodeMessage, DecodeError, type JsonObject } from './decode.js';
import { encodeMessage, EncodeError } from './encode.js';
import { decodeUnknown, encodeUnknown, hasProtobufMagic } from './envelope.js';
import { messageOfKind, supportedKinds } from './kinds.js';
import { JSON_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE, type StorageMediaType } from './media-types.js';

export { DecodeError } from './decode.js';
export { EncodeError } from './encode.js';
export type { JsonObject } from './decode.js';

export { JSON_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE, type StorageMediaType } from './media-types.js';

const ENCRYPTED_PREFIX = 'k8s:enc:';

/** The object stored in `value`, with kind and apiVersion; a DecodeError says why it cannot be read. */
export function decodeStoredObject(value: Uint8Array): JsonObject {
  if (hasProtobufMagic(value)) return decodeProtobufObject(value);
  const head = Buffer.from(value.subarray(0, 64)).toString('latin1');
  if (head.startsWith(ENCRYPTED_PREFIX)) {
    const [provider = '?', , keyName = '?'] = head.slice(ENCRYPTED_PREFIX.length).split(':');
    throw new DecodeError(`encrypted at rest (provider ${provider}, key ${keyName}); the sandbox API server has no encryption keys`);
  }
  if (head.trimStart().startsWith('{')) return decodeJsonObject(value);
  const first = [...value.subarray(0, 4)].map((byte) => `0x${byte.toString(16).padStart(2, '0')}`).join(' ');
  throw new DecodeError(`neither protobuf (no k8s\\0 prefix) nor JSON: the value starts with ${first || 'nothing (it is empty)'}`);
}

function decodeProtobufObject(value: Uint8Array): JsonObject {
  const unknown = decodeUnknown(value);
  if (unknown.contentEncoding) throw new DecodeError(`content encoding "${unknown.contentEncoding}" of the k8s\\0 envelope is not supported`);
  if (unknown.contentType && unknown.contentType !== PROTOBUF_MEDIA_TYPE) throw new DecodeError(`the k8s\\0 envelope holds ${unknown.contentType}, not protobuf`);
  const message = messageOfKind(unknown.apiVersion, unknown.kind);
  if (!message) {
    const named = unknown.kind ? `${unknown.apiVersion} ${unknown.kind}` : 'no kind (empty typeMeta)';
    throw new DecodeError(`protobuf of ${named}: not a kind the sandbox decodes (${supportedKinds().join(', ')})`);
  }
  return { kind: unknown.kind, apiVersion: unknown.apiVersion, ...decodeMessage(unknown.raw, message, unknown.kind) };
}

function decodeJsonObject(value: Uint8Array): JsonObject {
  let object: unknown;
  try {
    object = JSON.parse(Buffer.from(value).toString('utf8'));
  } catch (error) {
    throw new DecodeError(`not valid JSON: ${(error as Error).message}`);
  }
  if (!object || typeof object !== 'object' || Array.isArray(object)) throw new DecodeError('JSON, but not an object');
  const metadata = (object as JsonObject).metadata;
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) throw new DecodeError('JSON, but no Kubernetes object (no metadata)');
  return object as JsonObject;
}

/** The bytes a real API server stores for `object` with --storage-media-type=`mediaType`. */
export function encodeStoredObject(object: { apiVersion: string; kind: string; [field: string]: unknown }, mediaType: StorageMediaType): Buffer {
  const { apiVersion, kind, ...fields } = object;
  // Go's JSON encoder writes TypeMeta first (kind, then apiVersion) and ends with a newline.
  if (mediaType === JSON_MEDIA_TYPE) return Buffer.from(`${JSON.stringify({ kind, apiVersion, ...fields })}\n`);
  const message = messageOfKind(apiVersion, kind);
  if (!message) throw new EncodeError(`${apiVersion} ${kind}: not a kind the sandbox encodes (${supportedKinds().join(', ')})`);
  const name = (fields.metadata as { name?: string } | undefined)?.name;
  const raw = encodeMessage(fields, message, name ? `${kind} ${name}` : kind, true).finish();
  return encodeUnknown({ apiVersion, kind, raw });
}
