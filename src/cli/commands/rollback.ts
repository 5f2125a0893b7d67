// drbook rollback RUN_ID: undo what a stopped, failed or crashed run changed, in
// reverse, from its journal.

import { executeLaterRollback } from '../../engine/later-rollback.js';
import type { RollbackOutcome } from '../../engine/rollback.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { parseParamFlags } from '../../runbook/params.js';
import { withTransportPool } from '../../engine/transport-owner.js';
import { listOption, stringOption, type ParsedArgs } from '../args.js';
import { hostsOfRun, loadRunInventory, readStoredRun } from '../journal-access.js';
import { createOutput } from '../render/select.js';
import { clearRunMarkers } from '../../hostlock/index.js';
import { ignoreRunsOption, outputMode } from '../run-setup.js';
import { hideSecretArgs } from '../hide-secret-args.js';
import { installInterrupts } from '../signals.js';

import { spec } from '../specs/rollback.js';

export { spec };

export default async function rollbackCommand({ values, positionals }: ParsedArgs): Promise<number> {
  const stateDir = resolveStateDir(stringOption(values, 'state-dir'));
  const stored = await readStoredRun(stateDir, positionals[0]!);
  const output = await createOutput(outputMode(values), { dryRun: false });
  const secretArgsWarning = hideSecretArgs(stored.header.secretParams);
  if (secretArgsWarning) output.say(`warning: ${secretArgsWarning}`);
  const ignoreRuns = ignoreRunsOption(values);
  if (!stored.summary.canRollback) {
    output.say(`run ${stored.header.runId} is ${stored.summary.state}: its journal shows nothing that may still be applied`);
    // Its markers on the hosts would keep refusing other machines' runs: remove them when nothing is applied.
    if (stored.history.end?.state === 'done' || stored.history.end?.state === 'rolled-back' || stored.history.stillApplied().length === 0) {
      const { inventory } = await loadRunInventory(stored.header, false);
      const hosts = hostsOfRun(stored.header, inventory);
      const lines = await withTransportPool({ hosts }, (pool) => clearRunMarkers({ hosts, pool, stateDir, runId: stored.header.runId, runbook: stored.header.runbook.name }));
      for (const line of lines) output.say(line);
    }
    return 0;
  }
  const { inventory, warning } = await loadRunInventory(stored.header, false);
  if (warning) output.say(`warning: ${warning}`);
  const hosts = hostsOfRun(stored.header, inventory);
  const secrets = { ...secretsFromEnv(stored.header.secretParams), ...parseParamFlags(listOption(values, 'param')) };
  const interrupts = installInterrupts(output.say, { kind: 'rollback', runId: stored.header.runId });
  try {
    const outcome = await executeLaterRollback({ entries: stored.entries, hosts, stateDir, bus: output.bus, secrets, signal: interrupts.interrupt, ignoreRuns });
    await output.finished();
    output.say(describeOutcome(stored.header.runId, outcome));
    if (outcome.journalNote) output.say(`warning: ${outcome.journalNote}`);
    return outcome.exitCode;
  } finally {
    interrupts.dispose();
  }
}

/** What the checks found, never more: "undone" only where a check (or, without one, the undo itself) says so. */
function describeOutcome(runId: string, outcome: RollbackOutcome & { state: string }): string {
  if (!outcome.ok) return `run ${runId}: rollback NOT VERIFIED; not back or cannot tell:\n${outcome.left.map((l) => `  - ${l}`).join('\n')}`;
  const parts = [`${outcome.undone} change(s) undone`, `${outcome.foundReverted} found not applied`];
  const lines = [`run ${runId}: ${outcome.state === 'failed' ? 'nothing was applied' : 'rolled back'} (${parts.join(', ')}); every check says reverted`];
  if (outcome.unverified.length) lines.push(`undone without a check to confirm it (the steps give none):\n${outcome.unverified.map((l) => `  - ${l}`).join('\n')}`);
  if (outcome.irreversible.length) lines.push(`left as they are (no undo in the runbook):\n${outcome.irreversible.map((l) => `  - ${l}`).join('\n')}`);
  return lines.join('\n');
}

function secretsFromEnv(names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[`DRBOOK_PARAM_${name.toUpperCase()}`];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
