// Free space where a restore writes: the restore needs the db (about the snapshot's
// size) plus the WAL etcd preallocates (64 MiB), in the data dir's parent folder.

import { sh } from '../../shell/command.js';
import type { ActionContext } from '../../core/action.js';

export const WAL_BYTES = 64 * 1024 * 1024;

/** Bytes the restore of a snapshot of `snapshotBytes` writes, with a 10 % margin on the db. */
export function restoreNeedsBytes(snapshotBytes: number): number {
  return Math.ceil(snapshotBytes * 1.1) + WAL_BYTES;
}

/** Free bytes on the filesystem holding `dir` (its nearest existing ancestor: the new dir may not exist yet). */
export async function freeBytes(ctx: Pick<ActionContext, 'probe'>, dir: string): Promise<number | null> {
  const result = await ctx.probe(sh`d=${dir}; while [ ! -d "$d" ]; do d=$(dirname "$d"); done; df -Pk -- "$d" | tail -n 1`);
  const available = Number(result.stdout.trim().split(/\s+/)[3]);
  return result.exitCode === 0 && Number.isFinite(available) ? available * 1024 : null;
}

export function mib(bytes: number): string {
  return `${Math.ceil(bytes / (1024 * 1024))} MiB`;
}
