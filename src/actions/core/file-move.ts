// file.move: move a file or directory, keeping the way back. Idempotent: when the
// source is gone and the destination is there, the move has happened already (resume).

import { dirname } from 'node:path/posix';
import { z } from 'zod';
import { sh } from '../../shell/command.js';
import type { ActionContext, ActionDefinition, Change, Finding } from '../../core/action.js';
import { createdDirsCheck, guardedMove, keptCheck, moveCheck, pathSubject, probeIdentities, removeEmptyDirs } from '../checks.js';

const schema = z.strictObject({
  from: z.string().min(1),
  to: z.string().min(1),
  /** Replace an existing destination; the old one is kept aside as `<to>.drbook-<run id>`. */
  overwrite: z.boolean().default(false),
});

export const fileMoveAction: ActionDefinition<z.infer<typeof schema>> = {
  name: 'file.move',
  summary: 'Move a file or directory (creating the destination folder); undo moves it back.',
  schema,
  canSimulate: true,
  async plan(ctx, { from, to, overwrite }) {
    const [source, target] = await Promise.all([ctx.transport.stat(from), ctx.transport.stat(to)]);
    const findings: Finding[] = [];
    const changes: Change[] = [];
    if (!source && target) return { simulated: true, changes, findings: [{ level: 'ok', message: `${to} is in place and ${from} is gone: already moved` }] };
    if (!source) {
      findings.push(
        ctx.run.dryRun
          ? { level: 'warn', message: `${from} does not exist now; the move needs an earlier step to create it` }
          : { level: 'error', message: `${from} does not exist, and neither does ${to}: nothing to move` },
      );
    }
    // The checks compare the host with what was here at plan time (a file by its SHA-256,
    // a folder by its device:inode), so a rollback or resume can tell whether a move happened.
    const [identity, targetIdentity] = await probeIdentities(ctx, [from, to]).then(([f, t]) => [source ? f : undefined, target ? t : undefined]);
    if (target) {
      if (!overwrite) return { simulated: true, changes, findings: [...findings, { level: 'error', message: `${to} already exists (set overwrite: true to keep it aside and replace it)` }] };
      const aside = `${to}.drbook-${ctx.run.id}`;
      changes.push({
        description: `keep the existing ${to} aside as ${aside}`,
        command: sh`mv -- ${to} ${aside}`,
        check: keptCheck(to, aside, targetIdentity!),
        subjects: [pathSubject(to), pathSubject(aside)],
        undo: { description: `put ${aside} back as ${to}`, command: guardedMove(aside, to) },
      });
    }
    const missing = await missingAncestors(ctx, dirname(to));
    if (missing.length) {
      // Created as its own change so the rollback removes exactly what was created.
      changes.push({
        description: `create ${missing[0]}`,
        command: sh`mkdir -p -- ${missing[0]!}`,
        check: createdDirsCheck(missing),
        subjects: [pathSubject(missing.at(-1)!)],
        undo: { description: `remove ${missing.at(-1)} again (if empty)`, command: removeEmptyDirs(missing) },
      });
    }
    changes.push({
      description: `move ${from} to ${to}`,
      command: sh`mv -- ${from} ${to}`,
      // In a dry-run the source may not exist yet (an earlier step creates it): no identity, no check to show.
      check: identity ? moveCheck({ from, to, identity, toBefore: targetIdentity }) : undefined,
      subjects: [pathSubject(from), pathSubject(to)],
      undo: { description: `move ${to} back to ${from}`, command: guardedMove(to, from) },
    });
    return { simulated: true, findings, changes };
  },
};

/** The folders that do not exist yet on the way to `dir`, deepest first. */
async function missingAncestors(ctx: ActionContext, dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let current = dir; current !== dirname(current) && !(await ctx.transport.stat(current)); current = dirname(current)) missing.push(current);
  return missing;
}
