// confirm: a gate that asks the operator before the steps after it. `--yes` answers
// it; with no terminal and no --yes the CLI refuses the run before any change.

import { z } from 'zod';
import { DrbookError } from '../../core/errors.js';
import type { ActionDefinition } from '../../core/action.js';

const schema = z.strictObject({ message: z.string().min(1) });

export const confirmAction: ActionDefinition<z.infer<typeof schema>> = {
  name: 'confirm',
  summary: 'Ask the operator to confirm before going on (answered by --yes).',
  schema,
  canSimulate: true,
  async plan(_ctx, { message }) {
    return {
      simulated: true,
      findings: [],
      changes: [
        {
          description: `ask the operator: ${message}`,
          readOnly: true,
          apply: async (ctx) => {
            if (!(await ctx.confirm(message))) throw new DrbookError('cancelled', `the operator declined: ${message}`);
          },
        },
      ],
    };
  },
};
