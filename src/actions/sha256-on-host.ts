// The SHA-256 of a file on the host an action works on, computed there (coreutils'
// sha256sum): a snapshot is compared across masters and with the operator's copy
// without moving it. One probe for every action that needs it.

import { sh } from '../shell/command.js';
import type { ActionContext } from '../core/action.js';

/** Hex SHA-256 of `path` on ctx's host; throws, naming host and file, when it cannot be computed. */
export async function sha256OnHost(ctx: ActionContext, path: string, timeoutMs: number): Promise<string> {
  const result = await ctx.probe(sh`sha256sum -- ${path}`, { timeoutMs });
  const hash = result.stdout.trim().split(/\s+/)[0] ?? '';
  if (result.exitCode !== 0 || !/^[0-9a-f]{64}$/.test(hash)) throw new Error(`sha256sum ${path} on ${ctx.host.name} failed: ${result.stderr.trim() || 'no hash'}`);
  return hash;
}
