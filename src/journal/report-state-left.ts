// The report's last section: what the run left applied on each host. After a failed
// rollback or a crash this is the list a human works from, so it names every change
// still in place, where, and how it would be undone — and says plainly when the
// journal cannot tell whether a change happened.

import { code } from './markdown.js';
import type { ChangeHistory, RunHistory, RunListState } from './replay.js';

export function renderStateLeft(history: RunHistory, state: RunListState): string {
  const title = '## State left';
  const runId = history.header.runId;
  const left = history.stillApplied();
  if (state === 'planned') return `${title}\n\nDry-run: nothing was changed on any host.`;
  if (state === 'running') return `${title}\n\nThe run is still going: its state is not final. Run \`drbook report ${runId}\` again once it has ended.`;
  if (state === 'done') {
    const count = left.length;
    return `${title}\n\nThe run completed: ${count === 0 ? 'it had nothing to change' : `all ${count} change(s) it made are in place, as the runbook intends`}.`;
  }
  if (left.length === 0) {
    const rollback = history.rollback;
    const verified = rollback?.ok && rollback.undone !== undefined;
    const how = history.changes.some((c) => c.undone && !c.foundReverted)
      ? `every change it made was undone${verified ? ", and the rollback's checks say every change is reverted" : ''}`
      : history.changes.some((c) => c.foundReverted)
        ? 'the checks found every change it started not applied'
        : 'it made no change';
    return `${title}\n\nNothing this run changed is still applied: ${how}. The hosts are as they were before the run.`;
  }
  const parts = [title, `${intro(state, left.length)} Oldest first, per host:`];
  const hosts = [...new Set(left.map((c) => c.host))];
  const rolledBack = history.rollbacks.length > 0;
  for (const host of hosts) {
    parts.push(
      `**${host}**\n\n${left
        .filter((c) => c.host === host)
        .map((c) => describeLeft(c, rolledBack))
        .join('\n')}`,
    );
  }
  parts.push(nextSteps(history, state, left));
  return parts.join('\n\n');
}

function intro(state: RunListState, count: number): string {
  const these = `${count} change(s) may still be applied`;
  switch (state) {
    case 'rollback-failed':
      return `**The rollback did not complete: a human must look.** ${these}.`;
    case 'crashed':
      return `**The run was cut off** before it ended: ${these}.`;
    case 'interrupted':
      return `**The run was interrupted** and stopped without undoing: ${these}.`;
    case 'failed':
      return `**The run failed and was not rolled back**: ${these}.`;
    default:
      return `${these}.`;
  }
}

function describeLeft(c: ChangeHistory, rolledBack: boolean): string {
  const what = `step ${code(c.stepId)}, change #${c.index}: ${c.description}${c.command ? ` — ${code(c.command)}` : ''}`;
  const lastProbe = c.probes.at(-1);
  const probed = lastProbe ? ` (its last check said ${lastProbe.verdict === 'unknown' ? 'it cannot tell' : lastProbe.verdict}: ${lastProbe.detail})` : '';
  const status =
    c.status === 'in-flight'
      ? `**unknown**: it was in flight when the journal stopped, it may or may not have happened${c.check ? '; its check tells (drbook rollback and resume run it)' : ' (the step gives no check)'}`
      : c.status === 'failed'
        ? '**maybe partly applied**: it failed part-way'
        : '**applied**';
  const lastUndo = c.undoAttempts.at(-1);
  const undo = !c.undo
    ? 'no undo recorded: revert it by hand'
    : lastUndo?.ok === false
      ? `its undo (${lastUndo.description}) **failed**${lastUndo.error ? `: ${lastUndo.error.split('\n')[0]}` : ''}`
      : lastUndo && lastUndo.ok === undefined
        ? `its undo (${lastUndo.description}) was in flight when the journal stopped: check by hand`
        : `${rolledBack ? 'the rollback did not get to it; ' : ''}undo: ${c.undo.description}${'command' in c.undo ? '' : ` (action ${code(c.undo.action)})`}`;
  return `- ${what} — ${status}${probed}; ${undo}.`;
}

function nextSteps(history: RunHistory, state: RunListState, left: ChangeHistory[]): string {
  const runId = history.header.runId;
  const undoable = left.some((c) => c.undo !== null);
  const steps: string[] = [];
  if (state === 'rollback-failed') {
    steps.push(`Fix what made the undo fail, then \`drbook rollback ${runId}\` retries every undo still pending, newest first.`);
  } else if (undoable) {
    steps.push(`\`drbook rollback ${runId}\` undoes them, newest first.`);
  }
  if (!history.rollback && (state === 'crashed' || state === 'interrupted' || state === 'failed')) {
    steps.push(`\`drbook resume ${runId}\` continues the run instead; the step in flight is probed again, not re-run blindly.`);
  }
  if (left.some((c) => !c.undo)) steps.push('Changes without an undo must be reverted by hand.');
  return steps.join(' ');
}
