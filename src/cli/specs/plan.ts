// `drbook plan`: its options and help, apart from its body (commands/plan.ts), so that
// `drbook plan --help` and flag errors load no body.

import type { CommandSpec } from '../args.js';
import { RUN_FILES, RUN_HELP, RUN_OPTIONS } from './run-options.js';

export const spec: CommandSpec = {
  name: 'plan',
  usage: 'drbook plan RUNBOOK [-i INVENTORY] [-p NAME=VALUE]... [options]',
  summary: 'Show the full plan of a run without changing anything (alias of drbook run --dry-run).',
  details: `
Per step and host: what would be done, the rendered commands (secrets masked), what the
read-only probes found, which changes have no undo, and which actions cannot be simulated
("not simulated"). Exits 1 when a probe shows the run would fail. Writes no journal and
takes no lock: nothing changes anywhere.`,
  options: RUN_OPTIONS,
  optionHelp: RUN_HELP.filter(([flag]) => !flag.startsWith('--no-rollback') && !flag.startsWith('--on-interrupt') && !flag.startsWith('-y')),
  positionals: [1, 1],
  files: RUN_FILES,
};
