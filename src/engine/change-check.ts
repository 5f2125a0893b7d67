// Running a change's "did it happen?" check from the journal (resume and rollback, in
// this process or another one) and reading its verdict. A check that cannot run (the
// host is unreachable, a secret is missing, it times out) says "cannot tell", never
// "reverted": only the host's own answer counts.

import { readVerdict, type CheckOutcome } from '../actions/check-verdict.js';
import { errorMessage } from '../core/errors.js';
import type { ChangeHistory } from '../journal/replay.js';
import type { ProbePhase } from '../core/journal-records.js';
import { ShellCommand } from '../shell/command.js';
import { LocalTransport } from '../transport/local.js';
import type { TransportPool } from '../core/transport.js';
import type { RunRecorder } from './recorder.js';

/** A check gets this long (a moved multi-GB file is hashed). */
export const CHECK_TIMEOUT_MS = 30 * 60_000;

export { readVerdict, type CheckOutcome };

export interface ProbeEnv {
  recorder: RunRecorder;
  pool: TransportPool;
  /** Secret values per host, by name (checks keep secrets by name, like undo commands). */
  secretsByHost: Map<string, Record<string, string>>;
  signal: AbortSignal;
  /** Hosts the run knows (a host missing from the inventory cannot be probed). */
  knownHosts: Set<string>;
  /**
   * Resolves undefined when the run holds the host's lock (src/hostlock; taken again if
   * it was lost), else why not: the check is then not run and cannot tell.
   */
  hostHeld?: (host: string) => Promise<string | undefined>;
}

/** Run a journaled change's check, journal what it found (a `probe` entry) and emit it. */
export async function probeChange(change: ChangeHistory, phase: ProbePhase, env: ProbeEnv): Promise<CheckOutcome> {
  const outcome = await runJournaledCheck(change, env);
  const base = { stepId: change.stepId, host: change.host, index: change.index };
  await env.recorder.record({ t: 'probe', ...base, phase, verdict: outcome.verdict, detail: outcome.detail });
  env.recorder.emit({ type: 'change.probed', ...base, phase, description: change.description, verdict: outcome.verdict, detail: outcome.detail });
  return outcome;
}

async function runJournaledCheck(change: ChangeHistory, env: ProbeEnv): Promise<CheckOutcome> {
  if (!change.check) return { verdict: 'unknown', detail: 'the change declares no check' };
  let command: ShellCommand;
  try {
    command = ShellCommand.fromRecord(change.check, env.secretsByHost.get(change.host) ?? {});
  } catch (error) {
    return { verdict: 'unknown', detail: `its check cannot be rebuilt: ${errorMessage(error)}` };
  }
  try {
    const onOperator = change.checkOn === 'operator';
    if (!onOperator && !env.knownHosts.has(change.host)) return { verdict: 'unknown', detail: `host ${change.host} is not in the inventory any more` };
    const notHeld = onOperator ? undefined : await env.hostHeld?.(change.host);
    if (notHeld) return { verdict: 'unknown', detail: `its check was not run: ${notHeld}` };
    const transport = onOperator ? new LocalTransport('operator') : await env.pool.get(change.host);
    return readVerdict(await transport.exec({ command, timeoutMs: CHECK_TIMEOUT_MS, signal: env.signal }));
  } catch (error) {
    return { verdict: 'unknown', detail: `its check could not run: ${errorMessage(error)}` };
  }
}
