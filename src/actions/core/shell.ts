// `run:` steps. A shell command cannot be simulated: drbook cannot know what it
// would do, so dry-run shows it as "not simulated" rather than guessing. `check:` is the
// author's "did it happen?" probe (the word protocol of CheckVerdict), so a run cut off
// inside the command can be rolled back or resumed on evidence, not on a guess.

import { z } from 'zod';
import { ShellCommand } from '../../shell/command.js';
import type { ActionDefinition } from '../action.js';

const command = z.instanceof(ShellCommand, { message: 'expected a command' });

const schema = z.strictObject({
  run: command,
  /** The command that undoes `run`; without it the step is flagged as having no undo. */
  rollback: command.optional(),
  /** Read-only: prints `applied` or `reverted` (see CheckVerdict); without it a `run:` cut off may or may not have happened. */
  check: command.optional(),
});

export const shellAction: ActionDefinition<z.infer<typeof schema>> = {
  name: 'shell',
  summary: 'Run a shell command on each host (what `run:` means); `rollback:` gives its undo.',
  schema,
  commandFields: ['run', 'rollback', 'check'],
  canSimulate: false,
  async plan(_ctx, args) {
    return {
      findings: [],
      simulated: false,
      changes: [
        {
          description: 'run a command',
          command: args.run,
          undo: args.rollback ? { description: 'run the rollback command', command: args.rollback } : null,
          check: args.check,
        },
      ],
    };
  },
};
