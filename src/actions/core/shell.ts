// `run:` steps. A shell command cannot be simulated: drbook cannot know what it
// would do, so dry-run shows it as "not simulated" rather than guessing. `check:` is the
// author's "did it happen?" probe (the word protocol of CheckVerdict), so a run cut off
// inside the command can be rolled back or resumed on evidence, not on a guess.

import { z } from 'zod';
import { ShellCommand } from '../../shell/command.js';
import type { ActionDefinition, Finding } from '../../core/action.js';
import { readVerdict } from '../check-verdict.js';

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
  async plan(ctx, args) {
    const findings: Finding[] = [];
    if (args.check) {
      // The author's check is read-only: asked first, it makes the step idempotent (a
      // retry, or a resume after the command ran but its result was lost, finds it done).
      const found = readVerdict(await ctx.probe(args.check, { timeoutMs: 10 * 60_000 }));
      if (found.verdict === 'applied') return { findings: [{ level: 'ok', message: `its check says applied (${found.detail}): nothing to do` }], changes: [], simulated: false };
      if (found.verdict === 'unknown') findings.push({ level: 'warn', message: `its check cannot tell whether it already ran (${found.detail}); the command runs` });
    }
    return {
      findings,
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
