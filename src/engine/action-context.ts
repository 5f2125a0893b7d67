// Builds the ActionContext an action sees for one host and one step. The engine uses
// it for real runs; unit tests use it with a fake or local transport.

import type { ActionContext, RunInfo } from '../actions/action.js';
import type { Host } from '../inventory/types.js';
import type { ShellCommand } from '../shell/command.js';
import type { ExecResult, Transport } from '../transport/transport.js';

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
}

export function createActionContext(options: ActionContextOptions): ActionContext {
  const signal = options.signal ?? new AbortController().signal;
  const run = (command: ShellCommand, timeoutMs: number | undefined, stream: boolean, stdin?: string | Buffer): Promise<ExecResult> =>
    options.transport.exec({ command, timeoutMs, signal, stdin, onOutput: stream ? options.onOutput : undefined });
  return {
    host: options.host,
    transport: options.transport,
    run: options.run,
    stepId: options.stepId,
    signal,
    log: (text) => options.onLog?.(text),
    confirm: options.confirm ?? (async () => false),
    probe: (command, probeOptions = {}) => run(command, probeOptions.timeoutMs ?? options.probeTimeoutMs ?? 30_000, false),
    exec: (command, execOptions = {}) => {
      if (options.run.dryRun) throw new Error(`internal: exec() called during a dry-run (${command.toDisplay()})`);
      const guarded = options.run.guardCommand?.(options.host.name, command) ?? command;
      return run(guarded, execOptions.timeoutMs, true, execOptions.stdin);
    },
  };
}

/** A Host for the operator's own machine. */
export function localHost(vars: Record<string, unknown> = {}): Host {
  return { name: 'local', connection: 'local', ssh: {}, vars, groups: [] };
}
