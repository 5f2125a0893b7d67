// The host locks in a dry-run: what a real run would meet on the hosts — a lock held
// by another run, no flock, markers of unfinished runs — reported as the plan's
// problems, with the same words as the real refusal. Read-only: no lock is taken.

import { errorMessage } from '../core/errors.js';
import type { Host } from '../core/inventory.js';
import type { TransportPool } from '../core/transport.js';
import { decideHosts, type HostFindings } from './decide.js';
import { inspectCommand, parseHolderLine } from './holder-script.js';
import { describeBusy, describeRefusal } from './messages.js';
import { currentOperator, placesOf, type Operator } from './places.js';
import type { LockInfo } from './records.js';
import { createRunLookup, lookupForeignRuns, type LookupRun } from './run-lookup.js';

export interface InspectRequest {
  hosts: Host[];
  pool: TransportPool;
  stateDir: string;
  runId: string;
  ignoreRuns?: string[];
  signal?: AbortSignal;
  operator?: Operator;
  lookupRun?: LookupRun;
}

export interface Inspection {
  /** What would refuse the run, one message each. */
  problems: Array<{ host?: string; message: string }>;
  /** What the run would do about the hosts' state that is worth saying. */
  notes: Array<{ host: string; message: string }>;
}

export async function inspectHostLocks(request: InspectRequest): Promise<Inspection> {
  const operator = request.operator ?? currentOperator();
  const here = { machine: operator.machine, stateDir: request.stateDir };
  const inspection: Inspection = { problems: [], notes: [] };
  const findings: HostFindings[] = [];
  await Promise.all(
    placesOf(request.hosts, request.stateDir).map(async (place) => {
      const host = place.hosts[0]!;
      try {
        const transport = await request.pool.get(host);
        const result = await transport.exec({ command: inspectCommand(place.dir), timeoutMs: 30_000, signal: request.signal });
        const found: HostFindings = { host, key: place.identity.key, markers: [], inflight: [] };
        let holder: { info?: LockInfo; raw: string } | undefined;
        let alive = false;
        let done = false;
        for (const line of result.stdout.split('\n')) {
          const parsed = parseHolderLine(line);
          if (parsed?.kind === 'no-flock') inspection.problems.push({ host, message: `host ${host} has no \`flock\` command (util-linux): the run would be refused` });
          else if (parsed?.kind === 'holder') holder = { info: parsed.info, raw: parsed.raw };
          else if (parsed?.kind === 'holder-alive') alive = true;
          else if (parsed?.kind === 'marker') found.markers.push(parsed.marker);
          else if (parsed?.kind === 'inspected') done = true;
        }
        if (!done) throw new Error((result.stderr || result.stdout).trim() || `exit ${result.exitCode ?? result.signal}`);
        if (alive) inspection.problems.push({ host, message: `${describeBusy(host, holder?.info, holder?.raw, here)}: the run would be refused now` });
        findings.push(found);
      } catch (error) {
        inspection.problems.push({ host, message: `cannot look at the lock of host ${host} (${place.dir}): ${errorMessage(error)}` });
      }
    }),
  );
  const lookupRun = request.lookupRun ?? createRunLookup(request.stateDir, here.machine);
  const lookups = await lookupForeignRuns(
    findings.flatMap((f) => f.markers),
    request.runId,
    lookupRun,
  );
  const decision = decideHosts(findings, { runId: request.runId, ignoreRuns: new Set(request.ignoreRuns ?? []) }, lookups);
  for (const refusal of decision.refusals) inspection.problems.push({ message: `the run would be refused: ${describeRefusal(refusal, here)}` });
  for (const c of decision.clear) inspection.notes.push({ host: c.host, message: `the run would remove the marker of run ${c.runId} on ${c.host}: ${c.why}` });
  for (const o of decision.override) inspection.notes.push({ host: o.host, message: `--ignore-run ${o.runId}: the run would go ahead over that run's leftovers on ${o.host} (journaled)` });
  for (const note of decision.notes) inspection.notes.push(note);
  return inspection;
}
