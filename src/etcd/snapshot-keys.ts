// The live keys of an etcd backend file (a snapshot or a member's db), read with the
// bbolt reader. etcd's "key" bucket maps revisions to mvccpb.KeyValue records: the
// bucket key is {main u64 BE, '_', sub u64 BE} plus a 't' for a deletion (tombstone),
// so walking it in order and applying puts and deletes gives the state at the last
// revision, exactly what a restore brings back. Of a KeyValue, the key (protobuf field 1)
// and the value (field 5) are found; values stay views into the buffer.

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
    const key = decodeKeyValue(entry.value).key.toString('utf8');
    if (isTombstone(entry.key)) keys.delete(key);
    else keys.add(key);
  }
  return { keys, revision: Number(revision) };
}

/** Whether a "key" bucket entry's key marks a deletion: {main, '_', sub} followed by 't'. */
export function isTombstone(revisionKey: Buffer): boolean {
  return revisionKey.length === 18 && revisionKey[17] === 0x74; /* 't' */
}

/** Fields 1 (key) and 5 (value) of an mvccpb.KeyValue; the value is a view into the buffer. */
export function decodeKeyValue(message: Buffer): { key: Buffer; value: Buffer } {
  let at = 0;
  let key: Buffer | undefined;
  let value: Buffer = Buffer.alloc(0);
  const varint = (): number => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (at >= message.length) throw new BoltFormatError('truncated protobuf varint in a KeyValue');
      const byte = message[at++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return result;
      if (shift > 56) throw new BoltFormatError('protobuf varint longer than 64 bits');
    }
  };
  while (at < message.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      if (tag >> 3 === 1) key = message.subarray(at, at + length);
      else if (tag >> 3 === 5) value = message.subarray(at, at + length);
      at += length;
    } else throw new BoltFormatError(`unexpected protobuf wire type ${wire} in a KeyValue`);
  }
  if (!key) throw new BoltFormatError('a KeyValue record without a key');
  return { key, value };
}
