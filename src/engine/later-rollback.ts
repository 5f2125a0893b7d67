// `drbook rollback RUN_ID`: undo a stopped, failed or crashed run later, in a new
// process, from its journal alone. The rollback is appended to the same journal, and it
// ends the run there: rolled-back (verified), failed (verified: nothing was applied) or
// rollback-failed (something is not back, or cannot be told).

import { acquireHostLocks, isCleanEnd, lockTargetsOf } from '../hostlock/index.js';
import type { Host } from '../core/inventory.js';
import { acquireLock } from '../journal/lock.js';
import { JournalWriter } from '../journal/journal.js';
import type { JournalEntry, RunHeader } from '../core/journal-records.js';
import { Masker } from '../shell/masker.js';
import type { EventBus, RunState } from '../core/events.js';
import { replayJournal } from '../journal/replay.js';
import { RunRecorder } from './recorder.js';
import { rollbackRun, type RollbackOutcome } from './rollback.js';
import { EXIT } from './run.js';
import { checkUndoSecrets } from './undo-secrets.js';
import { withTransportPool, type OpenPool } from './transport-owner.js';
import type { TransportPool } from '../core/transport.js';

export interface LaterRollbackRequest {
  entries: JournalEntry[];
  hosts: Host[];
  stateDir: string;
  /** How the hosts' transports are opened (default openTransportPool); the rollback opens and closes them. */
  openPool?: OpenPool;
  bus: EventBus;
  /** Secret parameter values given again (-p / DRBOOK_PARAM_*), by name; a host var of the same name fills in for its host. */
  secrets: Record<string, string>;
  signal: AbortSignal;
  /** --ignore-run: go ahead although these runs left unfinished changes on the hosts (journaled). */
  ignoreRuns?: string[];
}

export type LaterRollbackOutcome = RollbackOutcome & { exitCode: number; state: RunState; journalNote?: string };

export async function executeLaterRollback(request: LaterRollbackRequest): Promise<LaterRollbackOutcome> {
  const header = request.entries[0];
  if (header?.t !== 'run') throw new Error('internal: journal without header');
  const secretsByHost = new Map(request.hosts.map((h) => [h.name, secretsForHost(h, header.secretParams, request.secrets)]));
  checkUndoSecrets(request.entries, secretsByHost); // before the lock: nothing is touched when one is missing
  const masker = new Masker();
  for (const secrets of secretsByHost.values()) masker.add(...Object.values(secrets));
  const lock = await acquireLock(request.stateDir, lockTargetsOf(request.hosts, request.stateDir), header.runId);
  try {
    return await withTransportPool(request, (pool) => rollBackLocked(request, header, pool, masker, secretsByHost, lock.staleHolders));
  } finally {
    await lock.release();
  }
}

async function rollBackLocked(
  request: LaterRollbackRequest,
  header: RunHeader,
  pool: TransportPool,
  masker: Masker,
  secretsByHost: Map<string, Record<string, string>>,
  staleLocalLocks: Parameters<typeof acquireHostLocks>[0]['staleLocalLocks'],
): Promise<LaterRollbackOutcome> {
  const hostLocks = await acquireHostLocks({
    hosts: request.hosts,
    pool,
    stateDir: request.stateDir,
    runId: header.runId,
    runbook: header.runbook.name,
    startedAt: header.at,
    purpose: 'rollback',
    ignoreRuns: request.ignoreRuns,
    journal: request.entries,
    staleLocalLocks,
    notify: (notice) => request.bus.emit({ type: 'run.notice', ...notice }),
    signal: request.signal,
  });
  let recorder: RunRecorder | undefined;
  try {
    recorder = new RunRecorder(await JournalWriter.append(request.stateDir, header.runId), request.bus, masker, request.entries);
    await recorder.record({ t: 'resumed', pid: process.pid });
    await recorder.record(hostLocks.journalEntry());
    recorder.beforeChange = (host, kind) => hostLocks.markChanged(host, kind);
    const outcome = await rollbackRun({
      recorder,
      pool,
      hosts: new Map(request.hosts.map((h) => [h.name, h])),
      run: { id: header.runId, startedAt: header.at, dryRun: false, stateDir: request.stateDir, guardCommand: (host, command) => hostLocks.guard(host, command) },
      secretsByHost,
      signal: request.signal,
      reason: 'requested with drbook rollback',
      hostHeld: (host) => hostLocks.holds(host),
    });
    const exitCode = outcome.ok ? EXIT.done : EXIT.needsHuman;
    // Verified with nothing undone: the run had changed nothing (a crash before any change took effect).
    const state = !outcome.ok ? 'rollback-failed' : outcome.undone > 0 || replayJournal(request.entries).changes.some((c) => c.undone) ? 'rolled-back' : 'failed';
    const error = !outcome.ok
      ? `the rollback is not verified complete; not back:\n${outcome.left.join('\n')}`
      : state === 'failed'
        ? `${header.runId} was cut off or stopped; nothing was applied (the checks found every change reverted)`
        : undefined;
    await hostLocks.finish(isCleanEnd({ state, exitCode, rollback: outcome })); // markers go only when the checks say every change is back
    await recorder.record({ t: 'end', state, exitCode, error });
    const journalProblem = recorder.journalFailure ? await recorder.appendMissing(request.stateDir, header.runId) : undefined;
    const journalNote = recorder.journalFailure
      ? journalProblem
        ? `the journal could not be written (${recorder.journalFailure.message}); on disk it lacks this rollback (${journalProblem})`
        : 'the journal could not be written during the rollback; what it lacked was appended afterwards'
      : undefined;
    return { ...outcome, exitCode, state, journalNote };
  } finally {
    await recorder?.close();
    await hostLocks.release();
  }
}

/** A host's secrets: given again (-p, DRBOOK_PARAM_*) over its host vars, as when the run resolved its params. */
function secretsForHost(host: Host, names: string[], given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = host.vars[name];
    if (value !== undefined && value !== null && typeof value !== 'object') out[name] = String(value);
  }
  return { ...out, ...given };
}
