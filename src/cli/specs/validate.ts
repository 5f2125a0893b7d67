// `drbook validate`: its options and help, apart from its body (commands/validate.ts), so that
// `drbook validate --help` and flag errors load no body.

import type { CommandSpec } from '../args.js';

export const spec: CommandSpec = {
  name: 'validate',
  usage: 'drbook validate FILE...',
  summary: 'Check runbooks and inventories (told apart by their `kind`) without running anything.',
  details: 'Reports every error with file:line:col, the key path and what was expected. Exit 0 when all are valid, 2 otherwise.',
  options: {},
  optionHelp: [],
  positionals: [1, Infinity],
};
