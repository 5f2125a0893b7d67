// What the engine is asked to do, and the one place it is built: `drbook run`/`plan`,
// `drbook resume` and the rehearsal (and demo) runs all go through buildRunRequest, so
// a new field is defaulted, and a resumed run takes its id, start and parameters from
// its journal, in one place.

import type { Host, Inventory } from '../core/inventory.js';
import type { JournalEntry } from '../core/journal-records.js';
import { newRunId } from '../journal/state-dir.js';
import type { Runbook } from '../runbook/types.js';
import type { EventBus } from '../core/events.js';
import type { OpenPool } from './transport-owner.js';

export interface RunRequest {
  runbook: Runbook;
  inventory: Inventory;
  hosts: Host[];
  cliParams: Record<string, string>;
  stateDir: string;
  /** How the hosts' transports are opened (default openTransportPool); the engine opens and closes them. */
  openPool?: OpenPool;
  bus: EventBus;
  /** Aborted on SIGINT/SIGTERM. */
  interrupt: AbortSignal;
  /** A second interrupt: abandon the rollback too. */
  abandon?: AbortSignal;
  rollbackOnFailure: boolean;
  onInterrupt: 'rollback' | 'stop';
  confirm: (message: string) => Promise<boolean>;
  runId: string;
  startedAt: string;
  /** Journal of a run being resumed. */
  resumeFrom?: JournalEntry[];
  /** --ignore-run: go ahead although these runs left unfinished changes on the hosts (journaled). */
  ignoreRuns?: string[];
}

export interface RunRequestInput extends Omit<RunRequest, 'rollbackOnFailure' | 'onInterrupt' | 'runId' | 'startedAt' | 'ignoreRuns'> {
  /** Default true. */
  rollbackOnFailure?: boolean;
  /** Default 'rollback'. */
  onInterrupt?: 'rollback' | 'stop';
  /** A new run's id when the caller needs it before (the interrupt messages name it); default a new one. Ignored on resume. */
  runId?: string;
  ignoreRuns?: string[];
}

/**
 * The engine's request. A resume (resumeFrom: the run's journal) keeps the run's id and
 * start from the journal's header, and its parameters: those given now (the secrets,
 * never journaled) are laid over the journaled ones.
 */
export function buildRunRequest(input: RunRequestInput): RunRequest {
  const header = input.resumeFrom?.[0];
  if (input.resumeFrom && header?.t !== 'run') throw new Error('internal: a resumed journal without its header');
  const resumed = header?.t === 'run' ? header : undefined;
  return {
    ...input,
    cliParams: resumed ? { ...resumed.cliParams, ...input.cliParams } : input.cliParams,
    rollbackOnFailure: input.rollbackOnFailure ?? true,
    onInterrupt: input.onInterrupt ?? 'rollback',
    runId: resumed?.runId ?? input.runId ?? newRunId(),
    startedAt: resumed?.at ?? new Date().toISOString(),
    ignoreRuns: input.ignoreRuns ?? [],
  };
}
