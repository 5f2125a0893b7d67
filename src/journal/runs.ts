// `drbook runs`: every run in the state dir with its state and what can be done with
// it. A run without an end entry is either still running or was cut off (kill -9,
// closed laptop, reboot); the pid in its journal, checked on the machine that wrote
// it, tells which.

import { readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { errorMessage } from '../core/errors.js';
import { readJournal } from './journal.js';
import { isProcessAlive, type IsAlive } from '@drbook/system';
import { replayJournal, type RunHistory, type RunListState } from './replay.js';
import { runsDir } from './state-dir.js';

export interface RunSummary {
  runId: string;
  /** Absent only when the journal is unreadable. */
  runbook?: { name: string; file: string };
  hosts: string[];
  startedAt?: string;
  endedAt?: string;
  /** Time of the last journal entry (where a crashed run stopped). */
  lastActivityAt?: string;
  state: RunListState;
  dryRun: boolean;
  pid?: number;
  machine?: string;
  /** `drbook resume RUN_ID` makes sense: cut off, stopped or failed without rollback. */
  canResume: boolean;
  /** `drbook rollback RUN_ID` makes sense: not running and changes are still applied. */
  canRollback: boolean;
  /** The run's final error, or why its journal could not be read. */
  error?: string;
  /** Changes cut off in flight (intent, no result) that nothing resolved since: they may or may not have happened. */
  inFlight?: number;
  /** Changes that may still be applied on the hosts (what a rollback would look at, without the waits). */
  mayBeApplied?: number;
  note?: string;
}

export interface LivenessOptions {
  isAlive?: IsAlive;
  /** This machine's name (default os.hostname()). */
  machine?: string;
}

/** Every run under `<stateDir>/runs`, newest first. A journal that cannot be read is listed as 'unreadable'. */
export async function listRuns(stateDir: string, options: LivenessOptions = {}): Promise<RunSummary[]> {
  let names: string[];
  try {
    const dirents = await readdir(runsDir(stateDir), { withFileTypes: true });
    names = dirents.filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const summaries = await Promise.all(
    names.map(async (runId): Promise<RunSummary> => {
      try {
        return summarizeRun(replayJournal(await readJournal(stateDir, runId)), options);
      } catch (error) {
        return { runId, hosts: [], state: 'unreadable', dryRun: false, canResume: false, canRollback: false, error: errorMessage(error) };
      }
    }),
  );
  return summaries.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || b.runId.localeCompare(a.runId));
}

export function summarizeRun(history: RunHistory, options: LivenessOptions = {}): RunSummary {
  const { header } = history;
  const state = deriveRunState(history, options);
  const machine = options.machine ?? hostname();
  const summary: RunSummary = {
    runId: header.runId,
    runbook: { name: header.runbook.name, file: header.runbook.file },
    hosts: header.hosts,
    startedAt: header.at,
    endedAt: history.end?.at,
    lastActivityAt: history.lastAt,
    state,
    dryRun: header.dryRun,
    pid: history.pid,
    machine: header.machine,
    canResume: canResume(history, state),
    canRollback: canRollback(history, state),
    error: history.end?.error,
  };
  if (!header.dryRun) {
    summary.inFlight = history.inFlightChanges().filter((c) => history.rollbackNeed(c) !== 'none').length;
    summary.mayBeApplied = history.stillApplied().length;
  }
  if (state === 'running' && header.machine !== machine) {
    summary.note = `started on ${header.machine} (pid ${history.pid}); its liveness cannot be checked from ${machine}`;
  } else if (state === 'crashed') {
    const cutOff = summary.inFlight ? `; ${summary.inFlight} change(s) were in flight and may or may not have happened (drbook rollback probes them)` : '';
    summary.note = `process ${history.pid} is gone; the journal stops at ${history.lastAt}${cutOff}`;
  }
  if (state !== 'running' && state !== 'done' && !history.changes.some((c) => !c.readOnly)) {
    // Killed (or stopped) before its first change: nothing to undo (a crashed one is still offered to
    // `drbook rollback`, which gives it an end and removes its markers).
    summary.note = `${summary.note ? `${summary.note}; ` : ''}nothing was applied (it stopped before its first change)`;
  }
  return summary;
}

/**
 * The end state; without an end entry, 'running' while the writing process lives and
 * 'crashed' once it is gone. A run from another machine cannot be checked and is
 * reported as running: calling it crashed could invite a second run on live hosts.
 */
export function deriveRunState(history: RunHistory, options: LivenessOptions = {}): RunListState {
  if (history.end) return history.end.state;
  const isAlive = options.isAlive ?? isProcessAlive;
  if (history.header.machine !== (options.machine ?? hostname())) return 'running';
  return isAlive(history.pid) ? 'running' : 'crashed';
}

function canResume(history: RunHistory, state: RunListState): boolean {
  // After a rollback started, continuing forward would re-apply what was undone.
  if (history.header.dryRun || history.rollback) return false;
  return state === 'crashed' || state === 'interrupted' || state === 'failed';
}

function canRollback(history: RunHistory, state: RunListState): boolean {
  if (history.header.dryRun) return false;
  if (!['crashed', 'interrupted', 'failed', 'rollback-failed'].includes(state)) return false;
  // A crashed run is never a trap: `drbook rollback` probes what it may have changed and journals its end.
  if (state === 'crashed') return true;
  return history.changesToRollBack().some((c) => c.undo !== null);
}
