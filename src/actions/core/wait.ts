// wait: poll a command until it succeeds (or its output matches), with an interval
// and a timeout. It changes nothing, but drbook cannot prove a command is read-only,
// so a dry-run shows it as "not simulated" rather than running it.

import { z } from 'zod';
import { DrbookError } from '../../core/errors.js';
import { ShellCommand } from '../../shell/command.js';
import { durationSchema, toMs } from '../../input/duration.js';
import { pollUntil } from '../poll.js';
import type { ActionDefinition } from '../../core/action.js';

const schema = z.strictObject({
  command: z.instanceof(ShellCommand, { message: 'expected a command' }),
  /** A regular expression the output must match; without it, a zero exit is enough. */
  match: z.string().optional(),
  interval: durationSchema.default('2s'),
  timeout: durationSchema.default('5m'),
  description: z.string().optional(),
});

export const waitAction: ActionDefinition<z.infer<typeof schema>> = {
  name: 'wait',
  summary: 'Wait until a command succeeds or its output matches, polling at an interval, up to a timeout.',
  schema,
  commandFields: ['command'],
  canSimulate: false,
  async plan(_ctx, args) {
    const pattern = args.match === undefined ? undefined : new RegExp(args.match, 'm');
    const what = args.description ?? `\`${args.command.toDisplay()}\` ${pattern ? `prints something matching /${args.match}/` : 'succeeds'}`;
    return {
      simulated: false,
      findings: [],
      changes: [
        {
          description: `wait until ${what} (every ${args.interval} at most, up to ${args.timeout})`,
          command: args.command,
          readOnly: true,
          apply: async (ctx) => {
            // pollUntil: fast first looks backing off up to `interval`, the period counted from each look's start.
            const deadline = Date.now() + toMs(args.timeout);
            let last = '';
            const outcome = await pollUntil({ timeoutMs: toMs(args.timeout), intervalMs: toMs(args.interval), signal: ctx.signal }, async () => {
              const left = deadline - Date.now();
              const result = await ctx.probe(args.command, { timeoutMs: Math.max(1000, Math.min(left, 60_000)), timeoutIsAnAnswer: true });
              last = (result.stdout + result.stderr).trim().split('\n').slice(-3).join(' | ');
              if (result.exitCode === 0 && (!pattern || pattern.test(result.stdout))) return { done: true, value: undefined };
              return { done: false, reason: last };
            });
            if (!outcome.ok) {
              throw new DrbookError('timeout', `gave up waiting after ${args.timeout} (${outcome.attempts} attempts) until ${what}${last ? `; last output: ${last}` : ''}`);
            }
          },
        },
      ],
    };
  },
};
