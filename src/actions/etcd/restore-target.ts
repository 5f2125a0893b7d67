// Where etcd.restore writes: a NEW data dir, through a staging dir named after the run
// and renamed into place only once complete, so the data dir never holds a half-written
// restore and a staging dir found later can only be this run's own interrupted attempt.
// A data dir whose name carries this run's id is this run's own leftover too (a restore
// cut off, or finished by the orphaned command after drbook was killed): a resume takes
// it as done when complete and redoes it otherwise — never a refusal. Anyone else's
// non-empty dir is refused.

import type { ActionContext, Finding } from '../../core/action.js';
import type { FileInfo } from '../../core/transport.js';

export interface RestoreTarget {
  staging: string;
  partial: FileInfo | null;
  /** The data dir exists and is empty: removed just before the staging dir is renamed into place. */
  removeEmptyFirst: boolean;
  /** An incomplete restore of this run: removed first, and the restore done again. */
  removeOursFirst: boolean;
  /** A complete restore of this run is there: nothing to do. */
  alreadyRestored: boolean;
}

export async function judgeTarget(ctx: ActionContext, dataDir: string, findings: Finding[]): Promise<RestoreTarget> {
  const staging = `${dataDir}.partial-${ctx.run.id}`;
  const [partial, existing] = await Promise.all([ctx.transport.stat(staging), ctx.transport.stat(dataDir)]);
  const target: RestoreTarget = { staging, partial, removeEmptyFirst: false, removeOursFirst: false, alreadyRestored: false };
  if (!existing) {
    findings.push({ level: 'ok', message: `${dataDir} does not exist yet: the restore creates it` });
  } else if (existing.type !== 'dir') {
    findings.push({ level: 'error', message: `${dataDir} exists and is a ${existing.type}: the restore needs a new, empty directory` });
  } else {
    const entries = await ctx.transport.readDir(dataDir);
    if (entries.length === 0) {
      target.removeEmptyFirst = true;
      findings.push({ level: 'info', message: `${dataDir} exists and is empty: it is replaced by the restored dir` });
    } else if (dataDir.includes(ctx.run.id)) {
      const db = await ctx.transport.stat(`${dataDir}/member/snap/db`);
      if (db?.type === 'file' && !partial) {
        target.alreadyRestored = true;
        findings.push({ level: 'ok', message: `${dataDir} is already restored by this run (its name carries the run id; member/snap/db is there): nothing to do` });
      } else {
        target.removeOursFirst = true;
        findings.push({ level: 'info', message: `${dataDir} is an incomplete restore of this run (its name carries the run id): it is removed and the restore done again` });
      }
    } else {
      findings.push({
        level: 'error',
        message: `refusing to restore into ${dataDir}: it is not empty (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', ...' : ''}); restore into a new directory (a leftover of an earlier attempt? look at it, then remove it)`,
      });
    }
  }
  if (partial && !target.alreadyRestored) findings.push({ level: 'info', message: `${staging} is an interrupted restore of this run: it is removed and the restore done again` });
  return target;
}
