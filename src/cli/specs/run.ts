// `drbook run`: its options and help, apart from its body (commands/run.ts), so that
// `drbook run --help` and flag errors load no body.

import type { CommandSpec } from '../args.js';
import { RUN_FILES, RUN_HELP, RUN_OPTIONS } from './run-options.js';

export const spec: CommandSpec = {
  name: 'run',
  usage: 'drbook run RUNBOOK [-i INVENTORY] [-p NAME=VALUE]... [options]',
  summary: 'Run a runbook: every step on all its hosts in parallel, a barrier between steps, rollback on failure.',
  details: `
Each step is planned on every host first (read-only probes); changes are applied only
when every plan is sound. Every change is journaled (intent before, result after) under
the state dir, so a run that is cut off can be resumed (drbook resume) or undone
(drbook rollback). Exit codes say what the hosts are in: 0 done; 1 failed, hosts as
before (rolled back and verified by the checks, or nothing was changed); 2 invalid input
or refused before any change; 3 changes are or may still be applied (a human must
look); 130 interrupted, hosts as before.

Example:
  drbook run runbooks/etcd-restore.yaml -p snapshot=/backup/etcd.db --yes`,
  options: { ...RUN_OPTIONS, 'dry-run': { type: 'boolean', short: 'n' } },
  optionHelp: [['-n, --dry-run', 'Only plan: show every command and what the probes find; change nothing (= drbook plan).'], ...RUN_HELP],
  positionals: [1, 1],
  files: RUN_FILES,
};
