// The options run, plan, resume, rollback and rehearse share, and their help lines:
// plain data, apart from run-setup.ts (which loads runbooks and inventories), so the
// command table can show help and parse flags without loading a body.

import type { FileArgument, OptionSpec } from '../args.js';

export const COMMON_OPTIONS: OptionSpec = {
  'state-dir': { type: 'string' },
  output: { type: 'string', short: 'o' },
};

export const COMMON_HELP: Array<[string, string]> = [
  ['--state-dir DIR', 'Where journals and locks live (default $DRBOOK_STATE_DIR, $XDG_STATE_HOME/drbook or ~/.local/state/drbook).'],
  ['-o, --output MODE', 'auto (listr2 on a terminal, plain lines otherwise), plain, or json (one event per line).'],
];

export const RUN_OPTIONS: OptionSpec = {
  ...COMMON_OPTIONS,
  inventory: { type: 'string', short: 'i' },
  targets: { type: 'string', short: 't' },
  param: { type: 'string', short: 'p', multiple: true },
  yes: { type: 'boolean', short: 'y' },
  'no-rollback': { type: 'boolean' },
  'on-interrupt': { type: 'string' },
  'ignore-run': { type: 'string', multiple: true },
};

export const IGNORE_RUN_HELP: [string, string] = [
  '--ignore-run RUN_ID',
  'Go ahead although run RUN_ID left unfinished changes on the hosts (drbook\nrefuses otherwise, naming it); journaled. Repeatable.',
];

/** run and plan name a runbook and, with -i, an inventory: both must be files. */
export const RUN_FILES: FileArgument[] = [
  { at: 0, what: 'a runbook (YAML, kind: Runbook)' },
  { at: 'inventory', what: 'an inventory (YAML, kind: Inventory)' },
];

export const RUN_HELP: Array<[string, string]> = [
  ['-i, --inventory FILE', 'Hosts and groups (YAML). Without it the runbook runs on the implicit host `local`.'],
  ['-t, --targets NAME', "Run on this inventory group or host instead of the runbook's `targets`."],
  ['-p, --param NAME=VALUE', 'Set a runbook parameter (repeatable). Wins over host vars and defaults.\nSecret parameters may come from the environment: DRBOOK_PARAM_<NAME>.'],
  ['-y, --yes', 'Answer every `confirm` step with yes (needed when there is no terminal).'],
  ['--no-rollback', 'On failure, stop and leave everything as it is for a human (exit 3 if changes remain).'],
  ['--on-interrupt MODE', 'On SIGINT/SIGTERM: rollback (default) or stop.'],
  IGNORE_RUN_HELP,
  ...COMMON_HELP,
];
