// The /registry key counts of a snapshot on a host, for etcd.health's comparison. The
// snapshot is read into drbook's memory to be parsed (bbolt), over SSH for a remote
// host: for a multi-master restore the same snapshot sits on every master, so the
// counts are kept by the file's SHA-256 (computed on the host, where it is cheap) and
// the file is fetched and parsed once per run, not once per master.

import type { ActionContext } from '../../core/action.js';
import { countRegistryKeys, type RegistryCounts } from '../../etcd/registry-counts.js';
import { readSnapshotKeys } from '../../etcd/snapshot-keys.js';
import { sha256OnHost } from '../sha256-on-host.js';

export interface SnapshotCounts {
  counts: RegistryCounts;
  revision: number;
}

const bySha256 = new Map<string, Promise<SnapshotCounts>>();

export async function snapshotCounts(ctx: ActionContext, path: string, prefix: string): Promise<SnapshotCounts> {
  const parse = async () => {
    const { keys, revision } = readSnapshotKeys(await ctx.transport.readFile(path));
    return { counts: countRegistryKeys(keys, prefix), revision };
  };
  // A failed hash only costs the cache: the snapshot is still read and counted below.
  const sha256 = await sha256OnHost(ctx, path, 10 * 60_000).catch(() => undefined);
  if (!sha256) return parse(); // no sha256sum on the host: no way to know it is the same file
  const key = `${sha256} ${prefix}`;
  let counts = bySha256.get(key);
  if (!counts) {
    counts = parse();
    bySha256.set(key, counts);
    counts.catch(() => bySha256.delete(key)); // a failed read is not remembered
  }
  return counts;
}
