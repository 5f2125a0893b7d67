// The shapes replayJournal returns: a run's history as the engine, the run listing
// and the report read it.

import type { RunState, StepState } from '../core/events.js';
import type { CheckVerdict, JournalEntry, ProbePhase } from '../core/journal-records.js';

export type PlanRecord = Extract<JournalEntry, { t: 'plan' }>;
export type EndRecord = Extract<JournalEntry, { t: 'end' }>;
type ResultEntry = Extract<JournalEntry, { t: 'result' }>;
type IntentEntry = Extract<JournalEntry, { t: 'intent' }>;

/** ok / failed from its result; in-flight = intent written, result never written. */
export type ChangeStatus = 'ok' | 'failed' | 'in-flight';

/** A change as its intent recorded it, with what became of it. */
export interface ChangeHistory extends Omit<IntentEntry, 't' | 'at'> {
  /** Position of its intent in the journal: the execution order. */
  seq: number;
  /** When its intent was written. */
  startedAt: string;
  status: ChangeStatus;
  result?: Omit<ResultEntry, 't' | 'stepId' | 'host' | 'index'>;
  undoAttempts: UndoAttempt[];
  /** Not on the host any more: an undo of it reported ok (verified by its check when it has one), or a rollback's check found it reverted. */
  undone: boolean;
  /** The rollback's check found it reverted without undoing it (it never happened, or a later undo put the state back). */
  foundReverted: boolean;
  /** Every check run on it outside the change itself (resume, rollback), in order. */
  probes: ProbeHistory[];
}

export interface ProbeHistory {
  at: string;
  phase: ProbePhase;
  verdict: CheckVerdict;
  detail: string;
}

/**
 * What a rollback must do with a change:
 * - probe: it has a check: run it first (applied → undo; reverted → nothing; cannot tell → left, named);
 * - undo:  no check, and the journal says it is applied (result ok, or undoOnFailure): undone on the journal's word;
 * - maybe: no check and cut off in flight: it may or may not have happened (listed; the rollback is not verified);
 * - none:  nothing to do (undone, found reverted, read-only, failed before changing anything, or redone later).
 */
export type RollbackNeed = 'probe' | 'undo' | 'maybe' | 'none';

export interface UndoAttempt {
  at: string;
  description: string;
  command?: string;
  /** undefined while the undo is in flight (no undo-result). */
  ok?: boolean;
  durationMs?: number;
  error?: string;
  finishedAt?: string;
}

export interface HostStepHistory {
  stepId: string;
  host: string;
  /** Latest state; 'running' when changes were started and no later state was written. */
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  error?: string;
  transitions: Array<{ at: string; state: StepState; error?: string }>;
  changes: ChangeHistory[];
}

export interface StepHistory {
  id: string;
  name: string;
  plannedHosts: string[];
  state: StepState;
  /** False when the journal holds no 'step' entry for it: its state is derived from its hosts. */
  stateRecorded: boolean;
  startedAt?: string;
  endedAt?: string;
  hosts: HostStepHistory[];
}

export interface RollbackUndo extends UndoAttempt {
  stepId: string;
  host: string;
  index: number;
  change?: ChangeHistory;
}

export interface RollbackHistory {
  startedAt: string;
  reason?: string;
  finishedAt?: string;
  ok?: boolean;
  undone?: number;
  foundReverted?: number;
  left?: string[];
  /** Undos in the order they were started. */
  undos: RollbackUndo[];
}

/**
 * A run's state for listing: the end state, or, without an end entry, 'running'
 * while its process lives and 'crashed' once it is gone (killed, machine rebooted).
 * 'unreadable' is a journal that could not be read.
 */
export type RunListState = RunState | 'crashed' | 'unreadable';
