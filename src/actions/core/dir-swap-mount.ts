// dir.swap when the current dir is a mount point (etcd's data dir on a dedicated disk):
// the dir itself cannot be renamed, so its CONTENTS are swapped, all on that mount (so
// every move is a rename, never a copy):
//   1. mkdir <keepAs>                 (on the mount: <dataDir>/.drbook-old-<run id>)
//   2. mv <current>/<entry> <keepAs>/  for every old entry (etcd's `member`, ...);
//      `lost+found` (the filesystem's) and drbook's own dirs stay
//   3. mv <replacement>/member <current>/member   (restored into <dataDir>/.drbook-restore-<run id>)
//   4. rmdir <replacement>
// Afterwards etcd finds its restored `member/` and, beside it, the kept old contents in a
// dot-dir it ignores (etcd reads only member/; 3.4 logs "found invalid file/dir" for
// other names, nothing more). Each step is its own change with its check and undo, and
// re-planning reads which steps are done: a swap cut off anywhere is finished or undone.

import { posix } from 'node:path';
import { sh } from '../../shell/command.js';
import type { ActionContext, ActionPlan, Change, Finding } from '../../core/action.js';
import { createdDirsCheck, guardedMove, holdsCheck, keptCheck, pathSubject, probeIdentities, removeEmptyDirs } from '../checks.js';

/** What etcd's restore writes into a data dir. */
export const RESTORED_ENTRY = 'member';

export async function planMountSwap(ctx: ActionContext, current: string, replacement: string, keepAs: string): Promise<ActionPlan> {
  const findings: Finding[] = [{ level: 'info', message: `${current} is a mount point: it stays, its contents are swapped on that mount (the old ones kept in ${keepAs})` }];
  const changes: Change[] = [];
  const plan = () => ({ simulated: true, findings, changes });
  for (const [what, path] of [
    ['replacement', replacement],
    ['keepAs', keepAs],
  ] as const) {
    if (posix.dirname(path) !== current) {
      findings.push({ level: 'error', message: `${current} is a mount point: the ${what} must be a dir directly in it (on the same disk), not ${path}` });
    }
  }
  if (findings.some((f) => f.level === 'error')) return plan();
  const ours = new Set([posix.basename(replacement), posix.basename(keepAs), 'lost+found']);
  const [rep, kept] = await Promise.all([ctx.transport.stat(replacement), ctx.transport.stat(keepAs)]);
  const repEntries = rep?.type === 'dir' ? await ctx.transport.readDir(replacement) : [];
  const oldEntries = (await ctx.transport.readDir(current)).filter((e) => !ours.has(e));

  if (kept && !rep) {
    findings.push({ level: 'ok', message: `already swapped: ${current} holds the restored contents, the old ones are kept in ${keepAs}` });
    return plan();
  }
  if (!rep) {
    if (ctx.run.dryRun) findings.push({ level: 'info', message: `${replacement} does not exist yet (an earlier step restores into it)` });
    else {
      findings.push({ level: 'error', message: `the replacement ${replacement} does not exist` });
      return plan();
    }
  } else if (rep.type !== 'dir') {
    findings.push({ level: 'error', message: `the replacement ${replacement} is not a directory` });
    return plan();
  } else if (repEntries.some((e) => e !== RESTORED_ENTRY) || (!kept && !repEntries.includes(RESTORED_ENTRY))) {
    findings.push({ level: 'error', message: `the replacement ${replacement} holds ${repEntries.join(', ') || 'nothing'}: a restored data dir holds exactly ${RESTORED_ENTRY}/` });
    return plan();
  }
  if (kept && kept.type !== 'dir') {
    findings.push({ level: 'error', message: `${keepAs} exists and is not a directory` });
    return plan();
  }
  const restoredThere = repEntries.includes(RESTORED_ENTRY);
  // Once the restored member moved in, what is in the data dir is no longer old.
  const toKeep = restoredThere || !rep ? oldEntries : [];
  if (kept && restoredThere && toKeep.length) findings.push({ level: 'info', message: `cut off while keeping the old contents: ${toKeep.join(', ')} still to move into ${keepAs}` });
  const keptEntries = kept ? await ctx.transport.readDir(keepAs) : [];
  const clash = toKeep.filter((e) => keptEntries.includes(e));
  if (clash.length) {
    findings.push({ level: 'error', message: `${keepAs} already holds ${clash.join(', ')}: drbook never overwrites kept data (look at both, then remove the stale one)` });
    return plan();
  }
  const ids = await probeIdentities(ctx, [...toKeep.map((e) => posix.join(current, e)), ...(restoredThere ? [posix.join(replacement, RESTORED_ENTRY)] : [])]);

  if (!kept) {
    changes.push({
      description: `create ${keepAs} on the mount for the old contents`,
      command: sh`mkdir -m 700 -- ${keepAs}`,
      check: createdDirsCheck([keepAs]),
      subjects: [pathSubject(keepAs)],
      undo: { description: `remove ${keepAs} if it is empty`, command: removeEmptyDirs([keepAs]) },
    });
  }
  toKeep.forEach((entry, i) => {
    const [from, to] = [posix.join(current, entry), posix.join(keepAs, entry)];
    changes.push({
      description: `keep ${from} as ${to}`,
      command: sh`mv -- ${from} ${to}`,
      check: keptCheck(from, to, ids[i]!),
      subjects: [pathSubject(from), pathSubject(to)],
      undo: { description: `put ${to} back as ${from}`, command: guardedMove(to, from) },
    });
  });
  if (restoredThere || !rep) {
    const [from, to] = [posix.join(replacement, RESTORED_ENTRY), posix.join(current, RESTORED_ENTRY)];
    changes.push({
      description: `move the restored ${from} into place as ${to}`,
      command: sh`mv -- ${from} ${to}`,
      // Unknown only in a dry-run, before the restore made it.
      check: restoredThere ? holdsCheck(to, ids.at(-1)!, from) : undefined,
      subjects: [pathSubject(to)],
      undo: { description: `move ${to} back to ${from}`, command: sh`mkdir -p -m 700 -- ${replacement} && ${guardedMove(to, from)}` },
    });
  }
  changes.push({
    description: `remove the emptied ${replacement}`,
    command: sh`rmdir -- ${replacement}`,
    check: sh`if [ -e ${replacement} ]; then echo "reverted: "${replacement}" exists"; else echo "applied: "${replacement}" is gone"; fi`,
    subjects: [pathSubject(replacement)],
    undo: { description: `create ${replacement} again`, command: sh`mkdir -p -m 700 -- ${replacement}` },
  });
  return plan();
}
