// The journal is history (Temporal): an append-only JSON-lines file per run, each
// line fsync'd before the engine goes on. Intent is written before every change and
// the result after it, so a run cut off at any point can be resumed or rolled back.
// Nothing secret is ever written: commands are journaled in their masked display form,
// undo commands as CommandRecord (secrets by name only).

import type { CommandRecord } from '../shell/command.js';
import type { CheckVerdict } from './action.js';
import type { RunState, StepState } from './events.js';

export type UndoRecord = { description: string; command: CommandRecord } | { description: string; action: string; with: Record<string, unknown> };

export interface RunHeader {
  t: 'run';
  runId: string;
  at: string;
  runbook: { file: string; sha256: string; name: string };
  inventory?: { file: string; sha256: string };
  /** Non-secret parameter values as given on the command line; secret ones as names only. */
  cliParams: Record<string, string>;
  secretParams: string[];
  hosts: string[];
  dryRun: boolean;
  rollbackOnFailure: boolean;
  pid: number;
  machine: string; // os.hostname() of the operator's machine
}

export type JournalEntry =
  | RunHeader
  | { t: 'plan'; at: string; steps: Array<{ id: string; name: string; hosts: string[] }> }
  | { t: 'resumed'; at: string; pid: number }
  | { t: 'step'; at: string; stepId: string; state: StepState }
  | { t: 'host'; at: string; stepId: string; host: string; state: StepState; error?: string }
  | {
      t: 'intent';
      at: string;
      stepId: string;
      host: string;
      index: number;
      description: string;
      command?: string;
      undo: UndoRecord | null;
      undoOnFailure: boolean;
      readOnly: boolean;
      /** The change's read-only "did it happen?" probe (see CheckVerdict), secrets by name. Absent in journals before checks existed. */
      check?: CommandRecord;
      /** 'operator': the check runs on the operator's machine, not on the host. */
      checkOn?: 'host' | 'operator';
      /** What the change acts on (paths, pod:NAME): the rollback's final probe checks the first change per subject. */
      subjects?: string[];
      /**
       * The last change its host's plan had for the step: when a resume finds it applied,
       * that host's step is done (re-planning it could repeat a change that is not
       * idempotent, such as a kubelet restart).
       */
      lastOfStep?: boolean;
    }
  | {
      t: 'result';
      at: string;
      stepId: string;
      host: string;
      index: number;
      ok: boolean;
      durationMs: number;
      exitCode?: number | null;
      error?: string;
      outputTail?: string;
      /** Set when a resume wrote this result for a change cut off in flight, from what its check found. */
      resolved?: CheckVerdict;
    }
  /** A check run outside the change itself: resume (for a change in flight), or rollback (before and after an undo, and once more at the end). */
  | { t: 'probe'; at: string; stepId: string; host: string; index: number; phase: ProbePhase; verdict: CheckVerdict; detail: string }
  | {
      t: 'rollback';
      at: string;
      phase: 'started' | 'finished';
      ok?: boolean;
      reason?: string;
      /** Counts of the finished rollback (absent before checks existed). */
      undone?: number;
      foundReverted?: number;
      /** What is not back (or cannot be told), one line each. */
      left?: string[];
    }
  | { t: 'undo-intent'; at: string; stepId: string; host: string; index: number; description: string; command?: string }
  | { t: 'undo-result'; at: string; stepId: string; host: string; index: number; ok: boolean; durationMs: number; error?: string }
  | { t: 'end'; at: string; state: RunState; exitCode: number; error?: string }
  /** The run's host locks were taken (src/hostlock): where, and what it went ahead over. */
  | {
      t: 'hosts-locked';
      at: string;
      /** key and where: what the host is (hostlock/identity.ts); absent in journals from before host keys. */
      hosts: Array<{ host: string; dir: string; key?: string; where?: string }>;
      /** Markers of other runs the operator overrode (--ignore-run). */
      overridden: Array<{ host: string; runId: string }>;
      /** Markers of other runs removed as harmless (their journal here shows why). */
      cleared: Array<{ host: string; runId: string; why: string }>;
      /** Commands of earlier runs still in flight that the run waited for. */
      waited: Array<{ host: string; runIds: string[]; ms: number }>;
      /** Locks in the state dir left by dead processes and taken over. */
      staleLocalLocks: Array<{ host: string; runId: string; pid: number }>;
    };

export type JournalEntryType = JournalEntry['t'];

/** Why a check ran: resume of a change in flight; rollback before an undo, after it, and the final postcondition. */
export type ProbePhase = 'resume' | 'before-undo' | 'after-undo' | 'final';

export type { CheckVerdict };
