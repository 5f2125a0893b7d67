// What run, plan, resume, rollback and rehearse share: loading the runbook and the
// inventory, choosing hosts, parameters, the state dir, the output.

import { InputError } from '../core/errors.js';
import { isRunIdLike } from '../hostlock/records.js';
import { builtinInventory, loadInventory } from '../inventory/load.js';
import { resolveTargets } from '../inventory/targets.js';
import type { Host, Inventory } from '../core/inventory.js';
import { resolveStateDir } from '../journal/state-dir.js';
import { loadRunbook } from '../runbook/load.js';
import { builtinActions } from '../actions/registry.js';
import { parseParamFlags, secretParamNames } from '../runbook/params.js';
import type { Runbook } from '../runbook/types.js';
import { hideSecretArgs } from './hide-secret-args.js';
import { choiceOption, listOption, stringOption, type ParsedArgs } from './args.js';
import type { OutputMode } from './render/select.js';

export { COMMON_HELP, COMMON_OPTIONS, IGNORE_RUN_HELP, RUN_FILES, RUN_HELP, RUN_OPTIONS } from './specs/run-options.js';

export interface LoadedRun {
  runbook: Runbook;
  inventory: Inventory;
  hosts: Host[];
  cliParams: Record<string, string>;
  stateDir: string;
  output: OutputMode;
  ignoreRuns: string[];
  /** Secret values were given with -p (now hidden from the process's command line): tell the operator. */
  secretArgsWarning?: string;
}

export async function loadRun(runbookFile: string, values: ParsedArgs['values']): Promise<LoadedRun> {
  const inventoryFile = stringOption(values, 'inventory');
  const [runbook, inventory] = await Promise.all([loadRunbook(runbookFile, builtinActions), inventoryFile ? loadInventory(inventoryFile) : Promise.resolve(builtinInventory())]);
  const secretArgsWarning = hideSecretArgs(secretParamNames(runbook));
  const targets = stringOption(values, 'targets') ?? runbook.targets;
  const hosts = resolveTargets(inventory, targets);
  if (hosts.length === 0) throw new InputError(`the run targets "${targets}", which has no hosts`);
  return {
    runbook,
    inventory,
    hosts,
    cliParams: parseParamFlags(listOption(values, 'param')),
    stateDir: resolveStateDir(stringOption(values, 'state-dir')),
    output: outputMode(values),
    ignoreRuns: ignoreRunsOption(values),
    ...(secretArgsWarning ? { secretArgsWarning } : {}),
  };
}

/** --ignore-run RUN_ID...: run ids only (they name markers on the hosts). */
export function ignoreRunsOption(values: ParsedArgs['values']): string[] {
  const ids = listOption(values, 'ignore-run');
  const bad = ids.find((id) => !isRunIdLike(id));
  if (bad !== undefined) throw new InputError(`--ignore-run ${bad}: expected a run id, e.g. 20261123T091530Z-3fa9 (the refusal names it)`);
  return ids;
}

export function outputMode(values: ParsedArgs['values']): OutputMode {
  return choiceOption(values, 'output', ['auto', 'plain', 'json'] as const, 'auto');
}

/** A runbook with a `confirm` gate cannot run unattended without --yes: refuse before any change. */
export function checkConfirmable(runbook: Runbook, yes: boolean, interactive: boolean): void {
  if (yes || interactive) return;
  const gate = runbook.steps.find((s) => s.uses === 'confirm');
  if (gate) {
    throw new InputError(
      [{ file: gate.source?.file, line: gate.source?.line, col: gate.source?.col, path: `steps.${gate.id}`, message: 'this step asks the operator to confirm, and there is no terminal to ask on' }],
      'pass --yes to answer it, or run from a terminal',
    );
  }
}
