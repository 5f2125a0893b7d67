// The live keys of an etcd backend file (a snapshot or a member's db), read with the
// bbolt reader. etcd's "key" bucket maps revisions to mvccpb.KeyValue records: the
// bucket key is {main u64 BE, '_', sub u64 BE} plus a 't' for a deletion (tombstone),
// so walking it in order and applying puts and deletes gives the state at the last
// revision, exactly what a restore brings back. Only the KeyValue's key (protobuf
// field 1) is decoded: values never leave the buffer.

import { BoltFormatError, BoltReader } from './bbolt.js';

export interface SnapshotKeys {
  keys: Set<string>;
  /** The highest revision found in the key bucket. */
  revision: number;
}

export function readSnapshotKeys(data: Buffer): SnapshotKeys {
  const reader = new BoltReader(data);
  const keys = new Set<string>();
  let revision = 0n;
  for (const entry of reader.bucket('key')) {
    if (entry.key.length !== 17 && entry.key.length !== 18) throw new BoltFormatError(`unexpected revision key of ${entry.key.length} bytes in bucket "key"`);
    const main = entry.key.readBigUInt64BE(0);
    if (main > revision) revision = main;
    const key = decodeKeyField(entry.value).toString('utf8');
    if (entry.key.length === 18 && entry.key[17] === 0x74 /* 't' */) keys.delete(key);
    else keys.add(key);
  }
  return { keys, revision: Number(revision) };
}

/** Field 1 (bytes) of a protobuf message. */
function decodeKeyField(message: Buffer): Buffer {
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (at >= message.length) throw new BoltFormatError('truncated protobuf varint in a KeyValue');
      const byte = message[at++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return result;
      shift += 7;
      if (shift > 63) throw new BoltFormatError('protobuf varint longer than 64 bits');
    }
  };
  while (at < message.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      if (field === 1) return message.subarray(at, at + length);
      at += length;
    } else throw new BoltFormatError(`unexpected protobuf wire type ${wire} in a KeyValue`);
  }
  throw new BoltFormatError('a KeyValue record without a key');
}
