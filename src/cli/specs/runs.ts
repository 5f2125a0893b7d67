// `drbook runs`: its options and help, apart from its body (commands/runs.ts), so that
// `drbook runs --help` and flag errors load no body.

import type { CommandSpec } from '../args.js';

export const spec: CommandSpec = {
  name: 'runs',
  usage: 'drbook runs [--state-dir DIR] [--json]',
  summary: 'List runs with their state (done, rolled-back, failed, crashed, running, ...) and what can be done next.',
  options: { 'state-dir': { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: [
    ['--state-dir DIR', 'Where journals live (default $DRBOOK_STATE_DIR, $XDG_STATE_HOME/drbook or ~/.local/state/drbook).'],
    ['--json', 'One JSON object per run.'],
  ],
};
