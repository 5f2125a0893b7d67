// `drbook rollback RUN_ID`: undo a stopped, failed or crashed run later, in a new
// process, from its journal alone. The rollback is appended to the same journal.

import { acquireHostLocks, isCleanEnd } from '../hostlock/index.js';
import type { Host } from '../inventory/types.js';
import { acquireLock } from '../journal/lock.js';
import { JournalWriter } from '../journal/journal.js';
import type { JournalEntry } from '../journal/records.js';
import { Masker } from '../shell/masker.js';
import type { TransportPool } from '../transport/transport.js';
import type { EventBus } from './events.js';
import { RunRecorder } from './recorder.js';
import { rollbackRun, type RollbackOutcome } from './rollback.js';
import { EXIT } from './run.js';

export interface LaterRollbackRequest {
  entries: JournalEntry[];
  hosts: Host[];
  stateDir: string;
  pool: TransportPool;
  bus: EventBus;
  /** Secret parameter values given again (-p / DRBOOK_PARAM_*), by name. */
  secrets: Record<string, string>;
  signal: AbortSignal;
  /** --ignore-run: go ahead although these runs left unfinished changes on the hosts (journaled). */
  ignoreRuns?: string[];
}

export async function executeLaterRollback(request: LaterRollbackRequest): Promise<RollbackOutcome & { exitCode: number }> {
  const header = request.entries[0];
  if (header?.t !== 'run') throw new Error('internal: journal without header');
  const masker = new Masker();
  masker.add(...Object.values(request.secrets));
  const lock = await acquireLock(request.stateDir, request.hosts.map((h) => h.name), header.runId);
  const hostLocks = await acquireHostLocks({
    hosts: request.hosts,
    pool: request.pool,
    stateDir: request.stateDir,
    runId: header.runId,
    runbook: header.runbook.name,
    startedAt: header.at,
    purpose: 'rollback',
    ignoreRuns: request.ignoreRuns,
    staleLocalLocks: lock.staleHolders,
    notify: (notice) => request.bus.emit({ type: 'run.notice', ...notice }),
    signal: request.signal,
  }).catch(async (error) => {
    await lock.release();
    await request.pool.closeAll().catch(() => undefined);
    throw error;
  });
  let recorder: RunRecorder | undefined;
  try {
    recorder = new RunRecorder(await JournalWriter.append(request.stateDir, header.runId), request.bus, masker, request.entries);
    await recorder.record({ t: 'resumed', pid: process.pid });
    await recorder.record(hostLocks.journalEntry());
    recorder.beforeChange = (host, kind) => hostLocks.markChanged(host, kind);
    const outcome = await rollbackRun({
      recorder,
      pool: request.pool,
      hosts: new Map(request.hosts.map((h) => [h.name, h])),
      run: { id: header.runId, startedAt: header.at, dryRun: false, stateDir: request.stateDir, guardCommand: (host, command) => hostLocks.guard(host, command) },
      secretsByHost: new Map(request.hosts.map((h) => [h.name, request.secrets])),
      signal: request.signal,
      reason: 'requested with drbook rollback',
    });
    const exitCode = outcome.ok ? EXIT.done : EXIT.needsHuman;
    const state = outcome.ok ? 'rolled-back' : 'rollback-failed';
    await hostLocks.finish(isCleanEnd({ state, exitCode, rollback: outcome })); // markers go only when every change is undone
    await recorder.record({ t: 'end', state, exitCode });
    return { ...outcome, exitCode };
  } finally {
    await recorder?.close();
    await hostLocks.release();
    await request.pool.closeAll().catch(() => undefined);
    await lock.release();
  }
}
