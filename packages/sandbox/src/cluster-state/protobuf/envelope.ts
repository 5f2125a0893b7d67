// The storage envelope of a Kubernetes API server's protobuf serializer
// (k8s.io/apimachinery/pkg/runtime/serializer/protobuf): the 4 magic bytes "k8s\0",
// then a runtime.Unknown message — typeMeta {apiVersion = 1, kind = 2} = 1, raw = 2 (the
// object's own message), contentEncoding = 3, contentType = 4 — every field written,
// the empty strings too, as Go's generated Marshal does.

import { DecodeError } from './decode.js';
import { ProtoReader, ProtoWriter, WIRE_BYTES, WireError } from './wire.js';

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

export function hasProtobufMagic(value: Uint8Array): boolean {
  return value.length >= 4 && value[0] === 0x6b && value[1] === 0x38 && value[2] === 0x73 && value[3] === 0x00;
}

export function encodeUnknown(unknown: Pick<Unknown, 'apiVersion' | 'kind' | 'raw'> & Partial<Unknown>): Buffer {
  const typeMeta = new ProtoWriter();
  typeMeta.writeString(1, unknown.apiVersion);
  typeMeta.writeString(2, unknown.kind);
  const message = new ProtoWriter();
  message.writeMessage(1, typeMeta);
  message.writeBytes(2, unknown.raw);
  message.writeString(3, unknown.contentEncoding ?? '');
  message.writeString(4, unknown.contentType ?? '');
  return Buffer.concat([PROTOBUF_MAGIC, message.finish()]);
}

/** The envelope of a value that starts with the magic bytes; a DecodeError says what is wrong with it. */
export function decodeUnknown(value: Uint8Array): Unknown {
  if (!hasProtobufMagic(value)) throw new DecodeError('no k8s\\0 prefix: not a protobuf storage value');
  const unknown: Unknown = { apiVersion: '', kind: '', raw: new Uint8Array(0), contentEncoding: '', contentType: '' };
  const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
  try {
    const reader = new ProtoReader(value, 4);
    while (!reader.done) {
      const { field, wire, at } = reader.readTag();
      if (wire !== WIRE_BYTES || field > 4) {
        reader.skip(wire, at);
        continue;
      }
      const bytes = reader.readBytes();
      if (field === 1) {
        const typeMeta = new ProtoReader(bytes);
        while (!typeMeta.done) {
          const tag = typeMeta.readTag();
          if (tag.wire === WIRE_BYTES && tag.field === 1) unknown.apiVersion = text(typeMeta.readBytes());
          else if (tag.wire === WIRE_BYTES && tag.field === 2) unknown.kind = text(typeMeta.readBytes());
          else typeMeta.skip(tag.wire, tag.at);
        }
      } else if (field === 2) unknown.raw = bytes;
      else if (field === 3) unknown.contentEncoding = text(bytes);
      else unknown.contentType = text(bytes);
    }
  } catch (error) {
    if (error instanceof WireError) throw new DecodeError(`the k8s\\0 envelope (runtime.Unknown) is damaged: ${error.message}`);
    throw error;
  }
  return unknown;
}
