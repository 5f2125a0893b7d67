// `drbook resume`: its options and help, apart from its body (commands/resume.ts), so that
// `drbook resume --help` and flag errors load no body.

import type { CommandSpec } from '../args.js';
import { RUN_HELP, RUN_OPTIONS } from './run-options.js';

export const spec: CommandSpec = {
  name: 'resume',
  usage: 'drbook resume RUN_ID [-p SECRET=VALUE]... [options]',
  summary: 'Continue a run that was cut off (kill -9, closed terminal, lost connection) or stopped with --no-rollback.',
  details: `
The runbook and inventory must be unchanged since the run started (drbook compares their
hashes with the journal). Parameters come from the journal; secret parameters, which are
never journaled, must be given again with -p or DRBOOK_PARAM_<NAME>.`,
  options: RUN_OPTIONS,
  optionHelp: RUN_HELP.filter(([flag]) => !flag.startsWith('-i,') && !flag.startsWith('-t,')),
  positionals: [1, 1],
};
