// drbook resume RUN_ID: continue a run that was cut off. Steps the journal shows done
// are skipped; the step that was in flight is re-planned (its probes see what was
// already changed) instead of being re-run blindly.

import { InputError } from '../../core/errors.js';
import { executeRun } from '../../engine/run.js';
import { buildRunRequest } from '../../engine/run-request.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { parseParamFlags } from '../../runbook/params.js';
import { choiceOption, listOption, stringOption, type ParsedArgs } from '../args.js';
import { createConfirm } from '../confirm-prompt.js';
import { hostsOfRun, loadRunInventory, loadRunRunbook, readStoredRun } from '../journal-access.js';
import { createOutput } from '../render/select.js';
import { checkConfirmable, ignoreRunsOption, outputMode } from '../run-setup.js';
import { hideSecretArgs } from '../hide-secret-args.js';
import { installInterrupts } from '../signals.js';

import { spec } from '../specs/resume.js';

export { spec };

export default async function resumeCommand({ values, positionals }: ParsedArgs): Promise<number> {
  if (values.inventory) throw new InputError('resume uses the inventory the run was started with; --inventory is not accepted');
  const stateDir = resolveStateDir(stringOption(values, 'state-dir'));
  const stored = await readStoredRun(stateDir, positionals[0]!);
  const { header, summary } = stored;
  if (!summary.canResume) {
    throw new InputError(`run ${header.runId} is ${summary.state}: there is nothing to resume${summary.canRollback ? `; undo it with: drbook rollback ${header.runId}` : ''}`);
  }
  const runbook = await loadRunRunbook(header);
  const { inventory } = await loadRunInventory(header, true);
  const given = parseParamFlags(listOption(values, 'param'));
  for (const name of Object.keys(given)) {
    if (!header.secretParams.includes(name)) throw new InputError(`-p ${name}: only secret parameters are given again on resume; the others come from the journal`);
  }
  const yes = values.yes === true;
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  checkConfirmable(runbook, yes, interactive);

  const hosts = hostsOfRun(header, inventory);
  const output = await createOutput(outputMode(values), { dryRun: false });
  const secretArgsWarning = hideSecretArgs(header.secretParams);
  if (secretArgsWarning) output.say(`warning: ${secretArgsWarning}`);
  const rollbackOnFailure = values['no-rollback'] !== true && header.rollbackOnFailure;
  const onInterrupt = choiceOption(values, 'on-interrupt', ['rollback', 'stop'] as const, 'rollback');
  const interrupts = installInterrupts(output.say, {
    kind: 'run',
    runId: header.runId,
    rollback: rollbackOnFailure && onInterrupt === 'rollback',
    why: rollbackOnFailure ? '--on-interrupt stop' : values['no-rollback'] === true ? '--no-rollback' : 'the run was started with --no-rollback',
  });
  try {
    const outcome = await executeRun(
      buildRunRequest({
        runbook,
        inventory,
        hosts,
        cliParams: given, // over the journaled parameters
        stateDir,
        bus: output.bus,
        interrupt: interrupts.interrupt,
        abandon: interrupts.abandon,
        rollbackOnFailure,
        onInterrupt,
        confirm: createConfirm({ yes, interactive, ask: output.ask }),
        resumeFrom: stored.entries,
        ignoreRuns: ignoreRunsOption(values),
      }),
    );
    await output.finished();
    return outcome.exitCode;
  } finally {
    interrupts.dispose();
  }
}
