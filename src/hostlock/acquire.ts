// Taking a run's host locks, before anything changes: every place in a fixed order, all
// or none; then the decision on what the hosts hold (markers of unfinished runs), the
// removal of markers its journal shows harmless, and a bounded wait for commands a
// killed drbook left running. Any refusal releases every lock taken and names what is
// in the way.

import { DrbookError, errorMessage } from '../core/errors.js';
import type { Host } from '../core/inventory.js';
import type { LockHolder } from '../journal/lock.js';
import type { JournalEntry } from '../core/journal-records.js';
import { sleep } from '@drbook/system';
import type { TransportPool } from '../core/transport.js';
import { removeMarkersCommand, waitInflightCommand } from './commands.js';
import { decideHosts, type Decision, type HostFindings } from './decide.js';
import { HEARTBEAT_TIMEOUT_S, startHolder } from './holder.js';
import { HostLocks, type HostLocksJournalEntry, type Notice } from './host-locks.js';
import { checkSameHosts, journaledHostsOf } from './journaled-hosts.js';
import { busyHint, describeBusy, describeRefusal } from './messages.js';
import { currentOperator, lockInfoOf, originOf, placesOf, type Operator, type Place } from './places.js';
import type { LockInfo } from './records.js';
import { createRunLookup, lookupForeignRuns, type LookupRun } from './run-lookup.js';
import { runReported } from './run-reported.js';

/** How long a run waits for a command of a killed run that is still running on a host. */
export const INFLIGHT_WAIT_MS = 10 * 60_000;

export interface AcquireHostLocksRequest {
  hosts: Host[];
  pool: TransportPool;
  /** The operator's state dir (journals). */
  stateDir: string;
  runId: string;
  runbook: string;
  startedAt: string;
  purpose: LockInfo['purpose'];
  /** The journal of the run being resumed or rolled back: its hosts must be the ones it ran on. */
  journal?: readonly JournalEntry[];
  /** --ignore-run: go ahead despite these runs' markers. */
  ignoreRuns?: string[];
  /** Locks of the state dir that were left by dead processes and taken over (journal/lock.ts). */
  staleLocalLocks?: Array<LockHolder & { host: string }>;
  notify?: (notice: Notice) => void;
  signal?: AbortSignal;
  /** Injected for tests. */
  operator?: Operator;
  lookupRun?: LookupRun;
  inflightWaitMs?: number;
}

export async function acquireHostLocks(request: AcquireHostLocksRequest): Promise<HostLocks> {
  const notify = request.notify ?? (() => {});
  const operator = request.operator ?? currentOperator();
  const origin = originOf(operator, request);
  const here = { machine: operator.machine, stateDir: request.stateDir };
  for (const stale of request.staleLocalLocks ?? []) {
    notify({
      level: 'warn',
      host: stale.host,
      message: `the lock of ${stale.host} in the state dir was left by run ${stale.runId} (pid ${stale.pid}, no longer running): taken over; \`drbook runs\` shows what that run left`,
    });
  }
  const places = placesOf(request.hosts, request.stateDir);
  if (request.journal) checkSameHosts(request.runId, places, journaledHostsOf(request.journal), request.hosts);
  const entry: HostLocksJournalEntry = {
    t: 'hosts-locked',
    hosts: places.flatMap((p) => p.hosts.map((host) => ({ host, dir: p.dir, key: p.identity.key, where: p.identity.where }))),
    overridden: [],
    cleared: [],
    waited: [],
    staleLocalLocks: (request.staleLocalLocks ?? []).map((s) => ({ host: s.host, runId: s.runId, pid: s.pid })),
  };
  const info = lockInfoOf(origin, request.purpose);
  /**
   * Lock these places, all or none: the first in the global order alone (of two runs
   * wanting the same hosts, the one that takes it goes on, the other is refused there
   * and holds nothing), then the others at once (no lock waits: no deadlock); decide
   * on what they hold, clear, wait.
   */
  const settle = async (these: Place[], late = false) => {
    try {
      const [first, ...rest] = [...these];
      const taken: Array<readonly [Place, number | undefined]> = first ? [[first, await lockPlace(first, info, here)]] : [];
      const others = await Promise.allSettled(rest.map(async (place) => [place, await lockPlace(place, info, here)] as const));
      const failed = others.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      for (const r of others) taken.push((r as PromiseFulfilledResult<readonly [Place, number | undefined]>).value);
      for (const [place, ownHolder] of taken) {
        if (ownHolder === undefined) continue;
        const same = places.find((p) => p.holder?.report.holderPid === ownHolder);
        if (!same) throw new DrbookError('internal', `host ${place.hosts[0]} is locked by this very run, but by none of its holders`);
        same.hosts.push(...place.hosts);
        places.splice(places.indexOf(place), 1);
        these.splice(these.indexOf(place), 1);
      }
      const decision = await decide(these, request, here, late ? `refusing to change ${these[0]?.hosts[0]}` : 'refusing to start');
      await clearHarmless(these, decision, notify, entry);
      await waitForInflight(these, decision, request, notify, entry);
      for (const { host, runId } of decision.override) entry.overridden.push({ host, runId });
      for (const note of decision.notes) notify({ level: 'info', ...note });
      for (const place of these) place.decided = true;
    } catch (error) {
      await Promise.all(these.map((p) => p.holder?.release()));
      throw error;
    }
  };
  // A host that cannot be reached now is not refused here: nothing changes there before
  // it is locked (markChanged locks it first, guard() refuses its commands meanwhile),
  // and the run's own checks say what is wrong with it (the preflight: unreachable).
  const reachable = await openTransports(places, request.pool, notify);
  await settle(reachable);
  const lateLock = async (place: Place) => {
    place.transport ??= await request.pool.get(place.hosts[0]!);
    await settle([place], true);
  };
  return new HostLocks(places, { origin, startedAt: request.startedAt, runHosts: request.hosts.map((h) => h.name), purpose: request.purpose, notify, entry, lateLock });
}

/** Open every place's transport at once; resolves with the places reached (the others are said). */
async function openTransports(places: Place[], pool: TransportPool, notify: (n: Notice) => void): Promise<Place[]> {
  const opened = await Promise.allSettled(places.map(async (place) => (place.transport = await pool.get(place.hosts[0]!))));
  opened.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    const host = places[i]!.hosts[0]!;
    notify({ level: 'warn', host, message: `cannot lock ${host} now (${errorMessage(result.reason)}): drbook changes nothing there before it has locked it` });
  });
  return places.filter((_, i) => opened[i]!.status === 'fulfilled');
}

/** Lock one place; resolves with the pid of this run's own holder when it turns out to be a place already locked under another name. */
async function lockPlace(place: Place, info: Omit<LockInfo, 'holderPid'>, here: { machine: string; stateDir: string }): Promise<number | undefined> {
  const host = place.hosts[0]!;
  let outcome = await startHolder(place.transport!, place.dir, info);
  // Held by a holder that has not written lock.json yet (it is a moment's work): look again.
  for (let again = 0; outcome.kind === 'busy' && !outcome.holder && again < 3; again++) {
    await sleep(100);
    outcome = await startHolder(place.transport!, place.dir, info);
  }
  if (outcome.kind === 'locked') {
    place.holder = outcome.held;
    place.markers = outcome.held.report.markers;
    place.inflight = outcome.held.report.inflight;
    place.ownMarker = place.markers.some((m) => m.runId === info.runId);
    return undefined;
  }
  if (outcome.kind === 'busy') {
    // Two inventory names for one host (an IP and a name): it is our own lock.
    const mine = outcome.holder && outcome.holder.runId === info.runId && outcome.holder.pid === info.pid && outcome.holder.machine === info.machine;
    if (mine && outcome.holder!.holderPid) return outcome.holder!.holderPid;
    const beat = place.transport!.kind === 'ssh' ? HEARTBEAT_TIMEOUT_S : undefined;
    throw new DrbookError('locked', describeBusy(host, outcome.holder, outcome.raw, here), { host, hint: busyHint(outcome.holder, beat) });
  }
  if (outcome.kind === 'no-flock') {
    throw new DrbookError('locked', `host ${host} has no \`flock\` command: drbook takes a lock on every host before changing it, with flock (util-linux)`, {
      host,
      hint: 'install util-linux on the host (Debian/Ubuntu: apt-get install util-linux; RHEL: dnf install util-linux); nothing was changed',
    });
  }
  if (outcome.cause instanceof DrbookError && outcome.cause.kind === 'input') throw outcome.cause; // e.g. maxChannels too low, sudo wanting a password
  if (outcome.cause instanceof DrbookError && outcome.cause.kind === 'unreachable') {
    throw new DrbookError('unreachable', `cannot lock host ${host}: ${outcome.message}`, { host, hint: 'nothing was changed; check the connection, then start again' });
  }
  throw new DrbookError('locked', `cannot lock host ${host} in ${place.dir}: ${outcome.message}`, {
    host,
    hint: `nothing was changed; drbook keeps its host lock and run markers in that folder: set \`hostStateDir\` for ${host} in the inventory to a folder its user can write`,
  });
}

async function decide(places: Place[], request: AcquireHostLocksRequest, here: { machine: string; stateDir: string }, refusing: string): Promise<Decision> {
  const lookupRun = request.lookupRun ?? createRunLookup(request.stateDir, here.machine);
  const lookups = await lookupForeignRuns(
    places.flatMap((p) => p.markers),
    request.runId,
    lookupRun,
  );
  const findings: HostFindings[] = places.map((p) => ({ host: p.hosts[0]!, key: p.identity.key, markers: p.markers, inflight: p.inflight }));
  const decision = decideHosts(findings, { runId: request.runId, ignoreRuns: new Set(request.ignoreRuns ?? []) }, lookups);
  if (decision.refusals.length) {
    throw new DrbookError('locked', `${refusing}: ${decision.refusals.map((r) => describeRefusal(r, here)).join('\n')}`, { hint: 'nothing was changed' });
  }
  for (const place of places) {
    const host = place.hosts[0]!;
    for (const m of place.markers) if (m.runId !== request.runId) place.accepted.add(m.runId);
    place.overrides = decision.override.filter((o) => o.host === host).map(({ runId, marker }) => ({ runId, marker }));
  }
  return decision;
}

async function clearHarmless(places: Place[], decision: Decision, notify: (n: Notice) => void, entry: HostLocksJournalEntry): Promise<void> {
  await Promise.all(
    places.map(async (place) => {
      const host = place.hosts[0]!;
      const clear = decision.clear.filter((c) => c.host === host);
      if (!clear.length) return;
      const result = await place
        .transport!.exec({
          command: removeMarkersCommand(
            place.dir,
            clear.map((c) => c.runId),
          ),
          timeoutMs: 60_000,
        })
        .catch((error) => ({ exitCode: null, stderr: errorMessage(error) }));
      for (const c of clear) {
        if (result.exitCode === 0) {
          entry.cleared.push(c);
          notify({ level: 'info', host, message: `removed the marker of run ${c.runId} on ${host}: ${c.why}` });
        } else {
          notify({ level: 'warn', host, message: `could not remove the marker of run ${c.runId} on ${host} (${result.stderr.trim()}); it is harmless (${c.why})` });
        }
      }
    }),
  );
}

async function waitForInflight(places: Place[], decision: Decision, request: AcquireHostLocksRequest, notify: (n: Notice) => void, entry: HostLocksJournalEntry): Promise<void> {
  const waitMs = request.inflightWaitMs ?? INFLIGHT_WAIT_MS;
  const stillRunning: string[] = [];
  await Promise.all(
    decision.waitFor.map(async ({ host, runIds }) => {
      const place = places.find((p) => p.hosts[0] === host)!;
      const started = Date.now();
      notify({ level: 'warn', host, message: `waiting for a command of run ${runIds.join(', ')} still running on ${host} (started by a drbook that is gone; up to ${Math.round(waitMs / 1000)}s)` });
      const said = await runReported(place.transport!, waitInflightCommand(place.dir, runIds, waitMs / 1000), { timeoutMs: waitMs + 30_000, signal: request.signal }).catch((error) => {
        if (request.signal?.aborted) throw new DrbookError('cancelled', `interrupted while waiting for a command of run ${runIds.join(', ')} on ${host}; nothing was changed`, { host });
        throw new DrbookError('locked', `cannot wait for the command of run ${runIds.join(', ')} still running on ${host}: ${errorMessage(error)}`, { host, hint: 'nothing was changed; start again' });
      });
      const left = said.args('still-running');
      if (left.length) stillRunning.push(`${host}: a command of run ${left.join(', ')} is still running after ${Math.round(waitMs / 1000)}s`);
      else {
        entry.waited.push({ host, runIds, ms: Date.now() - started });
        notify({ level: 'info', host, message: `the command of run ${runIds.join(', ')} on ${host} has ended, after ${((Date.now() - started) / 1000).toFixed(1)}s` });
      }
    }),
  );
  if (stillRunning.length) {
    throw new DrbookError('locked', `refusing to start while commands of earlier runs are still running on the hosts (they would race this run):\n  ${stillRunning.join('\n  ')}`, {
      hint: `nothing was changed; wait for them to end, or stop them (on the host, \`fuser -v <hostStateDir>/runs/<run id>.inflight\` lists their processes)`,
    });
  }
}
