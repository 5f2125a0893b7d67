// `drbook rollback`: its options and help, apart from its body (commands/rollback.ts), so that
// `drbook rollback --help` and flag errors load no body.

import type { CommandSpec } from '../args.js';
import { COMMON_HELP, COMMON_OPTIONS, IGNORE_RUN_HELP } from './run-options.js';

export const spec: CommandSpec = {
  name: 'rollback',
  usage: 'drbook rollback RUN_ID [-p SECRET=VALUE]... [options]',
  summary: 'Undo every change a run made that is still applied, newest first, from its journal.',
  details: `
For a run cut off by kill -9, a lost connection or a closed terminal, or one stopped
with --no-rollback. Undo commands that use secret parameters need them again (-p or
DRBOOK_PARAM_<NAME>). Every change that may be applied (also one cut off in flight) is
probed with its check first, undone only when applied, and probed again after; at the
end every change is probed once more. Exit 0 when the checks say everything is back
(or nothing was applied), 3 when something is not back or cannot be told (listed; a
human must look).`,
  options: { ...COMMON_OPTIONS, param: { type: 'string', short: 'p', multiple: true }, 'ignore-run': { type: 'string', multiple: true } },
  optionHelp: [['-p, --param NAME=VALUE', 'A secret parameter the undo commands need (never journaled).'], IGNORE_RUN_HELP, ...COMMON_HELP],
  positionals: [1, 1],
};
