// Builds the ActionContext an action sees for one host and one step. The engine uses
// it for real runs; unit tests use it with a fake or local transport.

import type { ActionContext, RunInfo } from '../core/action.js';
import { createRunFacts, type HostFactCache, type RunFacts } from '../actions/fact-cache.js';
import { formatDuration } from '../actions/fields.js';
import { DrbookError } from '../core/errors.js';
import type { Host } from '../core/inventory.js';
import type { ShellCommand } from '../shell/command.js';
import type { ExecResult, Transport } from '../core/transport.js';

export interface ActionContextOptions {
  host: Host;
  transport: Transport;
  run: RunInfo;
  stepId: string;
  signal?: AbortSignal;
  /** Progress text from the action. */
  onLog?: (text: string) => void;
  /** Output of commands run by exec() (probes are quiet). */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Answers the `confirm` gate; without it every question is refused. */
  confirm?: (message: string) => Promise<boolean>;
  /** Default timeout of probes. */
  probeTimeoutMs?: number;
  /** The host's secret param values by name: an argument holding one passes it in the environment (ShellCommand.withSecrets). */
  secrets?: Readonly<Record<string, string>>;
  /** This host's fact cache (default: the run's, one per RunInfo and host). */
  facts?: HostFactCache;
}

/** One fact cache per run: a RunInfo is made once per run, so it keys the run's facts. */
const RUN_FACTS = new WeakMap<RunInfo, RunFacts>();

function runFactsOf(run: RunInfo): RunFacts {
  let facts = RUN_FACTS.get(run);
  if (!facts) RUN_FACTS.set(run, (facts = createRunFacts()));
  return facts;
}

export function createActionContext(options: ActionContextOptions): ActionContext {
  const signal = options.signal ?? new AbortController().signal;
  const run = (command: ShellCommand, timeoutMs: number | undefined, stream: boolean, stdin?: string | Buffer): Promise<ExecResult> =>
    options.transport.exec({ command: command.withSecrets(options.secrets ?? {}), timeoutMs, signal, stdin, onOutput: stream ? options.onOutput : undefined });
  const facts = options.facts ?? runFactsOf(options.run).forHost(options.host.name);
  const ctx: Omit<ActionContext, 'facts'> = {
    host: options.host,
    transport: options.transport,
    run: options.run,
    stepId: options.stepId,
    signal,
    log: (text) => options.onLog?.(text),
    confirm: options.confirm ?? (async () => false),
    probe: async (command, probeOptions = {}) => {
      const timeoutMs = probeOptions.timeoutMs ?? options.probeTimeoutMs ?? 30_000;
      try {
        return unansweredProbe(await run(command, timeoutMs, false), command, timeoutMs, options.host.name, probeOptions.timeoutIsAnAnswer);
      } catch (error) {
        facts.changed(); // unanswered: what the host is now is unknown
        throw error;
      }
    },
    exec: (command, execOptions = {}) => {
      if (options.run.dryRun) throw new Error(`internal: exec() called during a dry-run (${command.toDisplay()})`);
      const guarded = options.run.guardCommand?.(options.host.name, command) ?? command;
      // A change (or an undo) runs: facts it may alter are probed again when next asked.
      facts.changed();
      return run(guarded, execOptions.timeoutMs, true, execOptions.stdin).finally(() => facts.changed());
    },
  };
  return { ...ctx, facts: facts.bind(ctx) };
}

/**
 * A probe killed before it finished (an interrupt, or its timeout) tells nothing about
 * the host: its exit status is the kill's, not the answer. It is never handed to the
 * reader (which would take "no exit 0" for "not installed", "not there"...), but
 * reported as what happened. `timeoutIsAnAnswer`: a caller polling a condition takes a
 * slow answer as "not yet".
 */
function unansweredProbe(result: ExecResult, command: ShellCommand, timeoutMs: number, host: string, timeoutIsAnAnswer = false): ExecResult {
  if (result.cancelled) {
    throw new DrbookError('cancelled', `cancelled before it answered: \`${command.toDisplay()}\` (the probe was stopped by the interrupt, so nothing is known from it)`, { host });
  }
  if (result.timedOut && !timeoutIsAnAnswer) {
    throw new DrbookError('timeout', `no answer within ${formatDuration(timeoutMs)}: \`${command.toDisplay()}\` (the probe was killed, so nothing is known from it)`, { host });
  }
  return result;
}

/** A Host for the operator's own machine. */
export function localHost(vars: Record<string, unknown> = {}): Host {
  return { name: 'local', connection: 'local', ssh: {}, vars, groups: [] };
}
