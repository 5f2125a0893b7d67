// Replaying a journal into what happened: per step and host, the changes with their
// intent and result, and the undos. Resume, rollback, `drbook runs` and the report all
// read a run through this one function, so they can never disagree about its history.

import type { StepState } from '../core/events.js';
import type { JournalEntry, RunHeader } from '../core/journal-records.js';
import { rollbackNeedOf } from './rollback-need.js';
import type { ChangeHistory, EndRecord, HostStepHistory, PlanRecord, RollbackHistory, RollbackNeed, StepHistory, UndoAttempt } from './history-types.js';

export type * from './history-types.js';

/** A change as the rollback sees it. */
export type UndoItem = ChangeHistory;

export class RunHistory {
  plan?: PlanRecord;
  end?: EndRecord;
  readonly steps: StepHistory[] = [];
  /** Every change, in execution order (the order of their intents). */
  readonly changes: ChangeHistory[] = [];
  readonly resumes: Array<{ at: string; pid: number }> = [];
  readonly rollbacks: RollbackHistory[] = [];
  /** Time of the last entry: when the journal stopped, for a run without an end. */
  lastAt: string;

  constructor(readonly header: RunHeader) {
    this.lastAt = header.at;
  }

  get ended(): boolean {
    return this.end !== undefined;
  }

  /** The pid of the process that wrote last (the resuming one, after a resume). */
  get pid(): number {
    return this.resumes.at(-1)?.pid ?? this.header.pid;
  }

  /** The latest rollback, if any was started. */
  get rollback(): RollbackHistory | undefined {
    return this.rollbacks.at(-1);
  }

  step(stepId: string): StepHistory | undefined {
    return this.steps.find((s) => s.id === stepId);
  }

  hostStep(stepId: string, host: string): HostStepHistory | undefined {
    return this.step(stepId)?.hosts.find((h) => h.host === host);
  }

  /** Host-steps that were running when the journal stopped: resume re-probes them instead of re-running blindly. */
  inFlight(): HostStepHistory[] {
    return this.steps.flatMap((s) => s.hosts.filter((h) => h.state === 'running'));
  }

  /** Changes whose latest undo was started but never reported (a crash during rollback; a later rollback that undid it ends that). */
  undoInFlight(): ChangeHistory[] {
    return this.changes.filter((c) => c.undoAttempts.length > 0 && c.undoAttempts.at(-1)!.ok === undefined);
  }

  /** Changes whose intent has no result: cut off in flight, so they may or may not have happened. */
  inFlightChanges(): ChangeHistory[] {
    return this.changes.filter((c) => c.status === 'in-flight');
  }

  /** What a rollback must do with this change (see RollbackNeed). */
  rollbackNeed(c: ChangeHistory): RollbackNeed {
    return rollbackNeedOf(c, this.changes);
  }

  /**
   * What a rollback must look at, newest first: every change that may be applied —
   * completed, failed or in flight — and is not known to be reverted (see RollbackNeed).
   * Reverse journal order is reverse execution order on every host, and steps in
   * reverse; the engine groups it by host to undo hosts in parallel. Changes without an
   * undo are included so the rollback can report them as left applied.
   */
  changesToRollBack(): UndoItem[] {
    return this.changes.filter((c) => this.rollbackNeed(c) !== 'none').reverse();
  }

  /**
   * What may still be applied on the hosts, in execution order (for the report's "state
   * left" and the exit code): what a rollback would look at, without the read-only waits
   * (whose undos only restart what the moves beside them stopped).
   */
  stillApplied(): ChangeHistory[] {
    return this.changes.filter((c) => !c.readOnly && this.rollbackNeed(c) !== 'none');
  }
}

/** Rebuild a run's history from its journal entries (as readJournal returns them). */
export function replayJournal(entries: readonly JournalEntry[]): RunHistory {
  const [header] = entries;
  if (!header || header.t !== 'run') throw new Error('replayJournal: the entries must start with the run header');
  const history = new RunHistory(header);
  entries.forEach((entry, seq) => {
    history.lastAt = entry.at;
    applyEntry(history, entry, seq);
  });
  for (const step of history.steps) if (!step.stateRecorded) step.state = deriveStepState(step.hosts);
  return history;
}

function applyEntry(history: RunHistory, entry: JournalEntry, seq: number): void {
  switch (entry.t) {
    case 'run':
      return;
    case 'plan':
      history.plan = entry;
      for (const s of entry.steps) {
        const step = ensureStep(history, s.id, s.name);
        step.name = s.name;
        step.plannedHosts = [...s.hosts];
        for (const host of s.hosts) ensureHostStep(step, host);
      }
      return;
    case 'resumed':
      history.resumes.push({ at: entry.at, pid: entry.pid });
      return;
    case 'step': {
      const step = ensureStep(history, entry.stepId);
      step.state = entry.state;
      step.stateRecorded = true;
      if (entry.state === 'running') step.startedAt ??= entry.at;
      else step.endedAt = entry.at;
      return;
    }
    case 'host': {
      const hostStep = ensureHostStep(ensureStep(history, entry.stepId), entry.host);
      setHostState(hostStep, entry.state, entry.at, entry.error);
      return;
    }
    case 'intent': {
      const hostStep = ensureHostStep(ensureStep(history, entry.stepId), entry.host);
      if (hostStep.state !== 'running') setHostState(hostStep, 'running', entry.at);
      const { t: _t, at, ...fields } = entry;
      const change: ChangeHistory = { ...fields, seq, startedAt: at, status: 'in-flight', undoAttempts: [], undone: false, foundReverted: false, probes: [] };
      hostStep.changes.push(change);
      history.changes.push(change);
      return;
    }
    case 'result': {
      const change = findChange(history, entry.stepId, entry.host, entry.index, (c) => c.result === undefined);
      if (!change) return; // a result without intent: nothing to attach it to
      const { t: _t, stepId: _s, host: _h, index: _i, ...result } = entry;
      change.result = result;
      change.status = entry.ok ? 'ok' : 'failed';
      return;
    }
    case 'probe': {
      const change = findChange(history, entry.stepId, entry.host, entry.index, () => true);
      if (!change) return;
      change.probes.push({ at: entry.at, phase: entry.phase, verdict: entry.verdict, detail: entry.detail });
      if (entry.phase === 'before-undo' && entry.verdict === 'reverted') {
        change.undone = true;
        change.foundReverted = true;
      } else if (entry.phase === 'final' && entry.verdict !== 'reverted') {
        // A later undo disturbed it: it is not back after all.
        change.undone = false;
        change.foundReverted = false;
      }
      return;
    }
    case 'rollback':
      if (entry.phase === 'started') history.rollbacks.push({ startedAt: entry.at, reason: entry.reason, undos: [] });
      else {
        const rollback = history.rollback ?? pushRollback(history, entry.at);
        rollback.finishedAt = entry.at;
        rollback.ok = entry.ok;
        rollback.undone = entry.undone;
        rollback.foundReverted = entry.foundReverted;
        rollback.left = entry.left;
      }
      return;
    case 'undo-intent': {
      // After retries a (step, host, index) can repeat: an undo is for the latest such change not yet undone.
      const change = findChange(history, entry.stepId, entry.host, entry.index, (c) => !c.undone);
      const attempt: UndoAttempt = { at: entry.at, description: entry.description, command: entry.command };
      change?.undoAttempts.push(attempt);
      (history.rollback ?? pushRollback(history, entry.at)).undos.push({ ...attempt, stepId: entry.stepId, host: entry.host, index: entry.index, change });
      return;
    }
    case 'undo-result': {
      const change = findChange(history, entry.stepId, entry.host, entry.index, (c) => c.undoAttempts.some((u) => u.ok === undefined));
      const rollback = history.rollback ?? pushRollback(history, entry.at);
      const undo = [...rollback.undos].reverse().find((u) => u.stepId === entry.stepId && u.host === entry.host && u.index === entry.index && u.ok === undefined);
      // The result belongs to the latest attempt (an undo's result follows its intent in the
      // same process); an earlier one cut off by a crash stays unknown.
      const attempt = change && [...change.undoAttempts].reverse().find((u) => u.ok === undefined);
      for (const target of [undo, attempt]) {
        if (!target) continue;
        Object.assign(target, { ok: entry.ok, durationMs: entry.durationMs, error: entry.error, finishedAt: entry.at });
      }
      if (change && entry.ok) change.undone = true;
      return;
    }
    case 'end':
      history.end = entry;
      return;
  }
}

function ensureStep(history: RunHistory, id: string, name = id): StepHistory {
  let step = history.step(id);
  if (!step) {
    step = { id, name, plannedHosts: [], state: 'pending', stateRecorded: false, hosts: [] };
    history.steps.push(step);
  }
  return step;
}

function ensureHostStep(step: StepHistory, host: string): HostStepHistory {
  let hostStep = step.hosts.find((h) => h.host === host);
  if (!hostStep) {
    hostStep = { stepId: step.id, host, state: 'pending', transitions: [], changes: [] };
    step.hosts.push(hostStep);
  }
  return hostStep;
}

function setHostState(hostStep: HostStepHistory, state: StepState, at: string, error?: string): void {
  hostStep.state = state;
  hostStep.transitions.push({ at, state, error });
  if (state === 'running') hostStep.startedAt ??= at;
  else if (state !== 'pending') hostStep.endedAt = at;
  if (error !== undefined) hostStep.error = error;
}

function findChange(history: RunHistory, stepId: string, host: string, index: number, accept: (c: ChangeHistory) => boolean): ChangeHistory | undefined {
  const changes = history.hostStep(stepId, host)?.changes ?? [];
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!;
    if (c.index === index && accept(c)) return c;
  }
  return undefined;
}

function pushRollback(history: RunHistory, at: string): RollbackHistory {
  const rollback: RollbackHistory = { startedAt: at, undos: [] };
  history.rollbacks.push(rollback);
  return rollback;
}

// A step without its own 'step' entries takes the state of its hosts.
function deriveStepState(hosts: HostStepHistory[]): StepState {
  const states = hosts.map((h) => h.state);
  const order: StepState[] = ['rollback-failed', 'failed', 'unreachable', 'cancelled', 'running', 'rolled-back'];
  for (const state of order) if (states.includes(state)) return state;
  if (states.length > 0 && states.every((s) => s === 'skipped')) return 'skipped';
  if (states.some((s) => s === 'done') && states.every((s) => s === 'done' || s === 'skipped')) return 'done';
  return 'pending';
}
