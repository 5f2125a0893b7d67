// dir.swap: put a replacement directory in place of the current one, keeping the
// old one under a new name (never deleted), with the old one's ownership and mode.
// This is how a restored etcd data dir goes live: /var/lib/etcd is kept as
// /var/lib/etcd-old-<run id>. Each move is its own change, so a crash between the
// two leaves a state that re-planning recognises and finishes (or undoes).
// A current dir that is a mount point (a dedicated disk) cannot be renamed: with
// mountReplacement/mountKeepAs its contents are swapped on that mount (dir-swap-mount.ts).

import { z } from 'zod';
import { sh } from '../../shell/command.js';
import type { FileInfo } from '../../core/transport.js';
import type { ActionDefinition, Change, Finding } from '../../core/action.js';
import { optionalText } from '../fields.js';
import { planMountSwap } from './dir-swap-mount.js';
import { isMountPoint } from './mount-point.js';
import { atItem, guardedMove, holdsCheck, keptCheck, ownerModeCheck, pathSubject, probeIdentities, probeIdentity } from '../checks.js';

const schema = z.strictObject({
  current: z.string().min(1),
  replacement: z.string().min(1),
  /** Where the current directory is kept; default `<current>-old-<run id>`. */
  keepAs: z.string().min(1).optional(),
  /**
   * When `current` is a mount point (it cannot be renamed): the dir ON it that holds the
   * restored contents, and the dir on it where the old contents are kept (dir-swap-mount.ts).
   */
  mountReplacement: optionalText(),
  mountKeepAs: optionalText(),
});

export const dirSwapAction: ActionDefinition<z.infer<typeof schema>> = {
  name: 'dir.swap',
  summary: 'Put a replacement directory in place of the current one, keeping the old one (ownership and mode preserved).',
  schema,
  canSimulate: true,
  async plan(ctx, args) {
    const keepAs = args.keepAs ?? `${args.current}-old-${ctx.run.id}`;
    const { current, replacement } = args;
    const [cur, rep, kept] = await Promise.all([ctx.transport.stat(current), ctx.transport.stat(replacement), ctx.transport.stat(keepAs)]);
    const findings: Finding[] = [];
    const changes: Change[] = [];
    const done = (message: string) => ({ simulated: true, changes, findings: [{ level: 'ok' as const, message }] });

    if (kept && cur && !rep) {
      // Swapped already (a resume): only the old directory's owner and mode may still be missing.
      if (cur.type === 'dir' && kept.type === 'dir' && (cur.uid !== kept.uid || cur.gid !== kept.gid || cur.mode !== kept.mode)) {
        findings.push({ level: 'info', message: `${current} is the replacement and the old one is kept at ${keepAs}; it still lacks the old one's owner and mode` });
        changes.push(ownerAndMode(current, replacement, await probeIdentity(ctx, current), kept, cur));
        return { simulated: true, findings, changes };
      }
      return done(`already swapped: ${current} is the replacement, the old one is kept at ${keepAs}`);
    }
    if (kept && !cur && rep) {
      // Cut off between the two moves: finish the swap (its undo restores the old dir).
      findings.push({ level: 'info', message: `${current} was already moved to ${keepAs}; the replacement is still to move` });
      changes.push(...moveReplacementIn(current, replacement, kept, rep, await probeIdentity(ctx, replacement)));
      return { simulated: true, findings, changes };
    }
    if (kept) return { simulated: true, changes, findings: [{ level: 'error', message: `${keepAs} already exists: choose another keepAs, drbook never overwrites a kept directory` }] };
    if (!cur) return { simulated: true, changes, findings: [{ level: 'error', message: `${current} does not exist: nothing to swap` }] };
    if (cur.type !== 'dir') return { simulated: true, changes, findings: [{ level: 'error', message: `${current} is not a directory` }] };
    if (await isMountPoint(ctx, current)) {
      if (args.mountReplacement && args.mountKeepAs) return planMountSwap(ctx, pathSubject(current), pathSubject(args.mountReplacement), pathSubject(args.mountKeepAs));
      findings.push({
        level: 'error',
        message: `${current} is a mount point: it cannot be renamed ("device busy"). Give mountReplacement and mountKeepAs (dirs on that mount) to swap its contents instead`,
      });
      return { simulated: true, changes, findings };
    }
    if (!rep) {
      findings.push(
        ctx.run.dryRun ? { level: 'info', message: `${replacement} does not exist yet (an earlier step creates it)` } : { level: 'error', message: `the replacement ${replacement} does not exist` },
      );
    } else if (rep.type !== 'dir') {
      findings.push({ level: 'error', message: `the replacement ${replacement} is not a directory` });
    } else if ((await ctx.transport.readDir(replacement)).length === 0) {
      findings.push({ level: 'error', message: `the replacement ${replacement} is empty: refusing to swap an empty directory in` });
    }
    // The directories are known by device:inode: a rename keeps it, so the checks can
    // tell which directory is where after a crash (the old data must never be mistaken).
    const [original, restored] = await probeIdentities(ctx, rep ? [current, replacement] : [current]);
    changes.push({
      description: `keep ${current} as ${keepAs}`,
      command: sh`mv -- ${current} ${keepAs}`,
      check: keptCheck(current, keepAs, original!), // probeIdentities answers one line per path or throws
      subjects: [pathSubject(current), pathSubject(keepAs)],
      undo: { description: `put ${keepAs} back as ${current}`, command: guardedMove(keepAs, current) },
    });
    changes.push(...moveReplacementIn(current, replacement, cur, rep ?? undefined, restored));
    return { simulated: true, findings, changes };
  },
};

function moveReplacementIn(current: string, replacement: string, old: FileInfo, rep: FileInfo | undefined, restored: string | undefined): Change[] {
  const changes: Change[] = [
    {
      description: `move ${replacement} into place as ${current}`,
      command: sh`mv -- ${replacement} ${current}`,
      // Unknown only in a dry-run where an earlier step creates the replacement.
      check: restored ? holdsCheck(current, restored, replacement) : undefined,
      subjects: [pathSubject(replacement), pathSubject(current)],
      undo: { description: `move ${current} back to ${replacement}`, command: guardedMove(current, replacement) },
    },
  ];
  if (!rep || !restored) {
    changes.push({
      description: `give ${current} the old directory's owner and mode (${old.uid}:${old.gid}, ${old.mode.toString(8)})`,
      command: sh`chown -R ${`${old.uid}:${old.gid}`} -- ${current} && chmod ${old.mode.toString(8)} -- ${current}`,
      undo: null,
    });
    return changes;
  }
  changes.push(ownerAndMode(current, replacement, restored, old, rep));
  return changes;
}

/** The replacement gets the old directory's owner and mode; the check and the undo find it by identity, wherever it is. */
function ownerAndMode(current: string, replacement: string, restored: string, old: FileInfo, rep: FileInfo): Change {
  const mode = old.mode.toString(8);
  const sameOwner = rep.uid === old.uid && rep.gid === old.gid;
  const apply = sameOwner ? sh`chmod ${mode} -- ${current}` : sh`chown -R ${`${old.uid}:${old.gid}`} -- ${current} && chmod ${mode} -- ${current}`;
  const back = sameOwner ? sh`chmod ${rep.mode.toString(8)} -- "$p"` : sh`chown -R ${`${rep.uid}:${rep.gid}`} -- "$p" && chmod ${rep.mode.toString(8)} -- "$p"`;
  return {
    description: `give ${current} the old directory's ${sameOwner ? 'mode' : 'owner and mode'} (${old.uid}:${old.gid}, ${mode})`,
    command: apply,
    check: ownerModeCheck(current, replacement, restored, `${rep.uid}:${rep.gid} ${rep.mode.toString(8)}`, `${old.uid}:${old.gid} ${mode}`),
    subjects: [pathSubject(current)],
    undo: { description: `restore the replacement's own owner and mode`, command: atItem(current, replacement, restored, back) },
  };
}
