// What a rollback must do with one change of a run, from the journal alone (see
// RollbackNeed): the one rule that rollback, `drbook runs`, the report and the exit
// codes share, so they can never disagree about what may still be applied.

import type { ChangeHistory, RollbackNeed } from './history-types.js';

export function rollbackNeedOf(c: ChangeHistory, all: readonly ChangeHistory[]): RollbackNeed {
  if (c.undone) return 'none';
  if (c.readOnly && c.undo === null) return 'none';
  if (c.check) return 'probe'; // completed, failed or in flight: the host says
  if (c.status === 'ok' || c.undoOnFailure) return 'undo';
  const cutOff = c.status === 'in-flight' || c.result?.resolved === 'unknown';
  if (!cutOff) return 'none'; // failed: an action's command that fails leaves nothing (else it says undoOnFailure or has a check)
  return redoneLater(c, all) ? 'none' : 'maybe';
}

/**
 * A change cut off without a check is covered by a resume that ran the same command
 * again to completion on the same host and step: that later change's undo undoes both.
 */
function redoneLater(c: ChangeHistory, all: readonly ChangeHistory[]): boolean {
  return all.some(
    (later) => later.seq > c.seq && later.stepId === c.stepId && later.host === c.host && later.description === c.description && later.command === c.command && (later.status === 'ok' || later.undone),
  );
}
