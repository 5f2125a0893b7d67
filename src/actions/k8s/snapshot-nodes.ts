// The Node objects and masterleases of a snapshot, with what ghosts-find.ts needs of
// each Node: whether it carries kubeadm's control-plane role label. Read with the bbolt
// reader and snapshot-keys.ts's KeyValue decoder, keeping the value (KeyValue field 5)
// of /registry/minions/ keys only. The label is found as its literal bytes: protobuf stores map keys and
// strings as they are (so does JSON), so `node-role.kubernetes.io/control-plane` (or
// kubeadm < 1.24's `.../master`) in a Node's value is that label, whatever the encoding.

import { BoltReader } from '../../etcd/bbolt.js';
import { decodeKeyValue, isTombstone } from '../../etcd/snapshot-keys.js';
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
    if (isTombstone(entry.key)) values.delete(name);
    else values.set(name, name.startsWith(NODE_PREFIX) ? value : null);
  }
  const controlPlane = new Set<string>();
  for (const [key, value] of values) {
    if (value && CONTROL_PLANE_LABELS.some((label) => value.includes(label))) controlPlane.add(key.slice(NODE_PREFIX.length));
  }
  return { keys: new Set(values.keys()), controlPlane };
}
