// `drbook report`: its options and help, apart from its body (commands/report.ts), so that
// `drbook report --help` and flag errors load no body.

import type { CommandSpec } from '../args.js';

export const spec: CommandSpec = {
  name: 'report',
  usage: 'drbook report RUN_ID [--state-dir DIR] > incident.md',
  summary: 'Print a Markdown timeline of a run: steps, hosts, durations, outcome, output tails, rollback, state left.',
  options: { 'state-dir': { type: 'string' } },
  optionHelp: [['--state-dir DIR', 'Where journals live.']],
  positionals: [1, 1],
};
