// Events are the only output of the engine (listr2's event manager). Renderers
// (listr2 on a terminal, plain lines, JSON lines) and the journal subscribe to them.

import type { CheckVerdict, Finding } from './action.js';
import type { ProbePhase } from './journal-records.js';

/** The one string enum of step states; every transition is an event. */
export type StepState =
  | 'pending'
  | 'running'
  | 'done' //          every change applied (or nothing to do)
  | 'planned' //       plan only (drbook plan): planned and probed on the host, nothing applied
  | 'skipped' //       `when` was false, or the step does not target the host
  | 'failed'
  | 'unreachable' //   the host could not be reached: state unknown
  | 'cancelled'
  | 'rolled-back'
  | 'rollback-failed';

export type RunState = 'running' | 'done' | 'failed' | 'rolled-back' | 'rollback-failed' | 'interrupted' | 'planned';

export type RunEvent =
  | { type: 'run.started'; runId: string; runbook: string; hosts: string[]; dryRun: boolean; resumed?: boolean; steps: Array<{ id: string; name: string }> }
  | { type: 'step.started'; stepId: string; name: string; action: string; hosts: string[] }
  | { type: 'host.started'; stepId: string; host: string; attempt: number }
  | { type: 'host.finding'; stepId: string; host: string; finding: Finding }
  | { type: 'host.planned'; stepId: string; host: string; changes: PlannedChange[]; simulated: boolean }
  | { type: 'change.started'; stepId: string; host: string; index: number; description: string; command?: string }
  | { type: 'output'; stepId: string; host: string; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'change.finished'; stepId: string; host: string; index: number; ok: boolean; durationMs: number; error?: string }
  | { type: 'host.finished'; stepId: string; host: string; state: StepState; durationMs: number; error?: string }
  | { type: 'step.finished'; stepId: string; state: StepState; durationMs: number }
  | { type: 'rollback.started'; reason: string }
  | { type: 'undo.started'; stepId: string; host: string; index: number; description: string; command?: string }
  | { type: 'undo.finished'; stepId: string; host: string; index: number; ok: boolean; durationMs: number; error?: string }
  | { type: 'change.probed'; stepId: string; host: string; index: number; phase: ProbePhase; description: string; verdict: CheckVerdict; detail: string }
  | {
      type: 'rollback.finished';
      /** Verified: every check says reverted and nothing is left or unknown. */
      ok: boolean;
      /** What is not back, or cannot be told, one line each. */
      left: string[];
      /** Changes without an undo, left as they are by the runbook's design. */
      irreversible: string[];
      undone?: number;
      foundReverted?: number;
      /** Undone on the journal's word: the step gives no check to confirm it. */
      unverified?: string[];
    }
  | { type: 'run.finished'; runId: string; state: RunState; exitCode: number; durationMs: number; error?: string }
  /** Something about the run as a whole worth saying (the host locks: a wait, a marker removed, a lock taken again). */
  | { type: 'run.notice'; level: 'info' | 'warn' | 'error'; host?: string; message: string };

/** A change as shown in a plan or journal: text only, secrets already masked. */
export interface PlannedChange {
  description: string;
  command?: string;
  undo?: string; // description of the undo, or undefined
  readOnly: boolean;
  /** It declares a "did it happen?" check (see CheckVerdict); in a dry-run a move of something an earlier step creates has none yet. */
  checked?: boolean;
}

/** An event as delivered: with its time. */
export type TimedEvent = RunEvent & { at: string };

export type EventListener = (event: TimedEvent) => void;

export class EventBus {
  private readonly listeners: EventListener[] = [];
  constructor(private readonly clock: () => Date = () => new Date()) {}

  subscribe(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(event: RunEvent): void {
    const timed = { ...event, at: this.clock().toISOString() } as TimedEvent;
    for (const listener of this.listeners) listener(timed);
  }
}
