// SIGINT/SIGTERM: the first one stops the in-flight commands (their process trees are
// killed); what follows depends on the command, and the message says exactly that: a
// run journals and rolls back (or, with --on-interrupt stop or --no-rollback, only
// stops, leaving the journal to resume or roll back from); `drbook rollback` stops its
// rollback. A second one abandons a rollback in progress: the journal stays, and
// `drbook rollback RUN_ID` finishes it later.

import { setMaxListeners } from 'node:events';

export interface Interrupts {
  interrupt: AbortSignal;
  abandon: AbortSignal;
  dispose(): void;
}

/** What the command does when interrupted, so the messages can say it. */
export type InterruptPlan =
  /** A run (run, resume): rolls back unless told to stop; `abandonable` when a second signal abandons that rollback. */
  | { kind: 'run'; runId?: string; rollback: boolean; why?: string; abandonable?: boolean }
  /** `drbook rollback`: the interrupt stops the rollback itself. */
  | { kind: 'rollback'; runId: string }
  /** A dry-run: only probes run. */
  | { kind: 'plan' };

const later = (runId: string | undefined, command: string) => `drbook ${command} ${runId ?? '<run id>'}`;

/** The two messages: on the first signal, and on the second. */
export function interruptMessages(plan: InterruptPlan): { first: string; again: string } {
  if (plan.kind === 'plan') return { first: 'stopping the probes; a plan changes nothing', again: 'already stopping' };
  if (plan.kind === 'rollback') {
    return {
      first: `stopping the rollback: the undo in flight is killed and the undos after it are not run; the journal is kept — finish with \`${later(plan.runId, 'rollback')}\``,
      again: 'already stopping the rollback',
    };
  }
  if (!plan.rollback) {
    return {
      first: `stopping the commands in flight; nothing will be rolled back (${plan.why ?? '--on-interrupt stop'}): the journal keeps what was done — continue with \`${later(plan.runId, 'resume')}\` or undo it with \`${later(plan.runId, 'rollback')}\``,
      again: 'already stopping; nothing is rolled back',
    };
  }
  const abandonable = plan.abandonable ?? true;
  return {
    first: `stopping the commands in flight; the run will be journaled and rolled back${abandonable ? ' (send it again to abandon the rollback)' : ''}`,
    again: abandonable ? `abandoning the rollback; the journal is kept — finish with \`${later(plan.runId, 'rollback')}\`` : 'already stopping; the rollback goes on',
  };
}

export function installInterrupts(say: (text: string) => void, plan: InterruptPlan = { kind: 'run', rollback: true }): Interrupts {
  const interrupt = new AbortController();
  const abandon = new AbortController();
  const messages = interruptMessages(plan);
  // Every command in flight on every host listens to these (a plan of a 3- or 5-master
  // run probes dozens at once): many listeners, removed as the commands end, not a leak.
  setMaxListeners(0, interrupt.signal, abandon.signal);
  const handler = (signal: NodeJS.Signals) => {
    if (!interrupt.signal.aborted) {
      say(`${signal}: ${messages.first}`);
      interrupt.abort(signal);
    } else if (!abandon.signal.aborted) {
      say(`${signal} again: ${messages.again}`);
      abandon.abort(signal);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    interrupt: interrupt.signal,
    abandon: abandon.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
