// `drbook rollback RUN_ID` of a run with nothing left to undo still removes that run's
// markers from its hosts: otherwise a run killed between writing its marker and its
// first change would keep refusing drbooks on other machines, which are told to finish
// it with `drbook rollback`. Each host is locked for the moment it takes.

import { errorMessage } from '../core/errors.js';
import type { Host } from '../core/inventory.js';
import type { TransportPool } from '../core/transport.js';
import { finishCommand } from './commands.js';
import { startHolder } from './holder.js';
import { describeBusy } from './messages.js';
import { currentOperator, lockInfoOf, originOf, placesOf, type Operator } from './places.js';
import { runReported } from './run-reported.js';

export interface ClearMarkersRequest {
  hosts: Host[];
  pool: TransportPool;
  stateDir: string;
  runId: string;
  runbook: string;
  operator?: Operator;
}

/** One line per host where something was removed or could not be. */
export async function clearRunMarkers(request: ClearMarkersRequest): Promise<string[]> {
  const operator = request.operator ?? currentOperator();
  const info = lockInfoOf(originOf(operator, request), 'rollback');
  const said: string[] = [];
  for (const place of placesOf(request.hosts, request.stateDir)) {
    const host = place.hosts[0]!;
    try {
      const transport = await request.pool.get(host);
      const outcome = await startHolder(transport, place.dir, info);
      if (outcome.kind !== 'locked') {
        const why =
          outcome.kind === 'busy'
            ? describeBusy(host, outcome.holder, outcome.raw, { machine: operator.machine, stateDir: request.stateDir })
            : outcome.kind === 'no-flock'
              ? 'no flock there'
              : outcome.message;
        said.push(`${host}: its marker of run ${request.runId} (if any) stays: ${why}`);
        continue;
      }
      try {
        if (!outcome.held.report.markers.some((m) => m.runId === request.runId)) continue;
        const done = await runReported(transport, finishCommand(place.dir, request.runId), { timeoutMs: 60_000 });
        said.push(done.has('finished') ? `${host}: removed the marker of run ${request.runId}` : `${host}: a command of run ${request.runId} is still running there: its marker stays`);
      } finally {
        await outcome.held.release();
      }
    } catch (error) {
      said.push(`${host}: its marker of run ${request.runId} (if any) stays: ${errorMessage(error)}`);
    }
  }
  return said;
}
