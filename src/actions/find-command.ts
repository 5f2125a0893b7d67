// "Is this program installed?" through `command -v`, read honestly: only a not-found
// status (1 in bash, 127 in dash) means "not installed"; any other failure (a probe
// killed by a signal, a broken shell) means drbook cannot tell, and says so. Probes
// stopped by an interrupt or their timeout never get here (ActionContext.probe rejects).

import type { ActionContext } from '../core/action.js';
import { defineFact } from '../core/facts.js';
import { sh } from '../shell/command.js';

export type CommandLookup = { found: true; path: string } | { found: false; why: string };

export async function findCommand(ctx: Pick<ActionContext, 'probe'>, name: string): Promise<CommandLookup> {
  const result = await ctx.probe(sh`command -v ${name}`);
  const path = result.stdout.trim().split('\n')[0] ?? '';
  if (result.exitCode === 0 && path) return { found: true, path };
  if (result.exitCode === 1 || result.exitCode === 127 || (result.exitCode === 0 && !path)) return { found: false, why: `${name} is not installed (not found in PATH)` };
  const how = result.exitCode === null ? `was killed (${result.signal ?? 'signal'})` : `failed with exit ${result.exitCode}`;
  return { found: false, why: `cannot tell whether ${name} is installed: \`command -v ${name}\` ${how}${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').slice(-1)[0]}` : ''}` };
}

/** findCommand as a fact of the run (no step installs crictl or kubectl): a program found is remembered, one not found is looked for again. */
export const installedCommandFact = defineFact<CommandLookup, string>({
  name: 'command',
  lifetime: 'run',
  key: (name) => name,
  keep: (lookup) => lookup.found,
  probe: (ctx, name) => findCommand(ctx, name),
});

/** The run's answer when the context has facts (an action's), else a probe. */
export function lookUpCommand(ctx: Pick<ActionContext, 'probe'> & Partial<Pick<ActionContext, 'facts'>>, name: string): Promise<CommandLookup> {
  return ctx.facts ? ctx.facts.get(installedCommandFact, name) : findCommand(ctx, name);
}
