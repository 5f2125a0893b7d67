// The Node objects and masterleases of a snapshot, with what ghosts-find.ts needs of
// each Node: whether it carries kubeadm's control-plane role label. Read with the bbolt
// reader like snapshot-keys.ts, keeping the value (KeyValue field 5) of /registry/minions/
// keys only. The label is found as its literal bytes: protobuf stores map keys and
// strings as they are (so does JSON), so `node-role.kubernetes.io/control-plane` (or
// kubeadm < 1.24's `.../master`) in a Node's value is that label, whatever the encoding.

import { BoltReader, BoltFormatError } from '../../etcd/bbolt.js';
import { NODE_PREFIX } from './ghosts-find.js';

export const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

export interface SnapshotNodes {
  keys: Set<string>;
  /** Names of the Nodes that carry a control-plane role label. */
  controlPlane: Set<string>;
}

export function readSnapshotNodes(data: Buffer): SnapshotNodes {
  const values = new Map<string, Buffer | null>();
  for (const entry of new BoltReader(data).bucket('key')) {
    const { key, value } = decodeKeyValue(entry.value);
    const name = key.toString('utf8');
    const tombstone = entry.key.length === 18 && entry.key[17] === 0x74;
    if (tombstone) values.delete(name);
    else values.set(name, name.startsWith(NODE_PREFIX) ? value : null);
  }
  const controlPlane = new Set<string>();
  for (const [key, value] of values) {
    if (value && CONTROL_PLANE_LABELS.some((label) => value.includes(label))) controlPlane.add(key.slice(NODE_PREFIX.length));
  }
  return { keys: new Set(values.keys()), controlPlane };
}

/** Fields 1 (key) and 5 (value) of an mvccpb.KeyValue. */
function decodeKeyValue(message: Buffer): { key: Buffer; value: Buffer } {
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
