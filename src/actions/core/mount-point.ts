// Whether a directory is a mount point (a dedicated disk for etcd's data dir): it cannot
// be renamed (EBUSY), so a restore goes into a dir ON that mount and the contents move
// instead (dir-swap-mount.ts). `stat -c %m` names the mount point a path is on (a bind
// mount on the same device too); where it is missing (old coreutils, busybox) a device
// different from the parent's says it.

import { posix } from 'node:path';
import { sh } from '../../shell/command.js';
import type { ActionContext } from '../../core/action.js';

/** Read-only: prints `mount` when `path` is a mount point, `dir` when not, nothing when it does not exist. */
export function mountPointProbe(path: string) {
  const parent = posix.dirname(path);
  return sh`if [ -d ${path} ]; then m=$(stat -c %m -- ${path} 2>/dev/null); if [ -n "$m" ] && [ "$m" != '?' ]; then if [ "$m" = ${path} ]; then echo mount; else echo dir; fi; elif [ "$(stat -c %d -- ${path})" != "$(stat -c %d -- ${parent})" ]; then echo mount; else echo dir; fi; fi`;
}

export async function isMountPoint(ctx: Pick<ActionContext, 'probe'>, path: string): Promise<boolean> {
  const normalized = posix.normalize(path).replace(/(.)\/$/, '$1');
  if (normalized === '/') return true;
  const result = await ctx.probe(mountPointProbe(normalized), { timeoutMs: 30_000 });
  return result.exitCode === 0 && result.stdout.trim() === 'mount';
}
