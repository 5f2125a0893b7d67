// drbook run RUNBOOK: the whole run (or, with --dry-run, the plan).

import { executePlan } from '../../engine/plan.js';
import { EXIT, executeRun, type RunOutcome } from '../../engine/run.js';
import { buildRunRequest } from '../../engine/run-request.js';
import { newRunId } from '../../journal/state-dir.js';
import { choiceOption, type ParsedArgs } from '../args.js';
import { createConfirm } from '../confirm-prompt.js';
import { createOutput } from '../render/select.js';
import { checkConfirmable, loadRun } from '../run-setup.js';
import { installInterrupts } from '../signals.js';

import { spec as runSpec } from '../specs/run.js';

export { runSpec };

export const spec = runSpec;

/** The closing line: what the hosts are in, and the commands that go on from there. */
function nextSteps(outcome: RunOutcome): string {
  const id = outcome.runId;
  const head = `run ${id}: ${outcome.state}. Journal: drbook report ${id}`;
  if (outcome.exitCode === EXIT.needsHuman) {
    const resume = outcome.state === 'failed' || outcome.state === 'interrupted' ? `; continue with: drbook resume ${id}` : '';
    return `${head}; changes may still be applied: undo with: drbook rollback ${id}${resume}`;
  }
  return outcome.state === 'failed' && !outcome.rollback ? `${head}; nothing was changed; once the cause is fixed, continue with: drbook resume ${id}` : head;
}

export default async function runCommand(args: ParsedArgs, forceDryRun = false): Promise<number> {
  const { values, positionals } = args;
  const dryRun = forceDryRun || values['dry-run'] === true;
  const loaded = await loadRun(positionals[0]!, values);
  const yes = values.yes === true;
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  if (!dryRun) checkConfirmable(loaded.runbook, yes, interactive);
  const onInterrupt = choiceOption(values, 'on-interrupt', ['rollback', 'stop'] as const, 'rollback');

  const output = await createOutput(loaded.output, { dryRun });
  if (loaded.secretArgsWarning) output.say(`warning: ${loaded.secretArgsWarning}`);
  const runId = newRunId();
  const noRollback = values['no-rollback'] === true;
  const interrupts = installInterrupts(
    output.say,
    dryRun ? { kind: 'plan' } : { kind: 'run', runId, rollback: onInterrupt === 'rollback' && !noRollback, why: noRollback ? '--no-rollback' : '--on-interrupt stop' },
  );
  const request = buildRunRequest({
    ...loaded,
    bus: output.bus,
    interrupt: interrupts.interrupt,
    abandon: interrupts.abandon,
    confirm: createConfirm({ yes, interactive, ask: output.ask }),
    runId,
    rollbackOnFailure: !noRollback,
    onInterrupt,
  });
  try {
    if (dryRun) {
      const outcome = await executePlan(request);
      await output.finished();
      return outcome.exitCode;
    }
    const outcome = await executeRun(request);
    await output.finished();
    if (outcome.exitCode !== 0 && loaded.output !== 'json') output.say(nextSteps(outcome));
    return outcome.exitCode;
  } finally {
    interrupts.dispose();
  }
}
