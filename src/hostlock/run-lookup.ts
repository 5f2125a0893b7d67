// What this machine can tell about the run behind a marker: its journal, when it is
// here (the marker names the operator's machine and state dir; the run may also have
// been journaled in our own state dir under another machine name).

import { hostname } from 'node:os';
import { DrbookError, errorMessage } from '../core/errors.js';
import { readJournal } from '../journal/journal.js';
import { replayJournal } from '../journal/replay.js';
import { summarizeRun, type RunSummary } from '../journal/runs.js';
import { journaledHostsOf } from './journaled-hosts.js';
import type { MarkerEntry, MarkerRecord } from './records.js';

export type RunLookup =
  | { readable: false; why: string }
  | {
      readable: true;
      stateDir: string;
      summary: RunSummary;
      /** Hosts where its journal shows a change begun (intent journaled; read-only ones not counted), by that run's names. */
      changedHosts: string[];
      /** The same hosts by what they are (identity keys); absent when its journal is from before host keys. */
      changedKeys?: string[];
    };

export type LookupRun = (runId: string, marker: MarkerRecord | undefined) => Promise<RunLookup>;

export function createRunLookup(ownStateDir: string, machine: string = hostname()): LookupRun {
  return async (runId, marker) => {
    const candidates = new Set<string>();
    if (marker && marker.machine === machine) candidates.add(marker.stateDir);
    candidates.add(ownStateDir);
    let why = marker && marker.machine !== machine ? `its journal is on ${marker.machine}` : `no journal of it in ${[...candidates].join(' or ')}`;
    for (const stateDir of candidates) {
      let entries;
      let history;
      try {
        entries = await readJournal(stateDir, runId);
        history = replayJournal(entries);
      } catch (error) {
        const missing = error instanceof DrbookError && error.kind === 'input'; // no such journal here
        if (!missing) why = `its journal ${stateDir} cannot be read: ${errorMessage(error)}`;
        continue;
      }
      const changedHosts = [...new Set(history.changes.filter((c) => !c.readOnly).map((c) => c.host))];
      const changedKeys = keysOf(changedHosts, journaledHostsOf(entries));
      return { readable: true, stateDir, summary: summarizeRun(history), changedHosts, ...(changedKeys ? { changedKeys } : {}) };
    }
    return { readable: false, why };
  };
}

/** The identity keys of a run's hosts by its names; undefined when one of them has none journaled. */
function keysOf(names: string[], journaled: Map<string, { key?: string }>): string[] | undefined {
  const keys = names.map((name) => journaled.get(name)?.key);
  return keys.every((k): k is string => k !== undefined) ? keys : undefined;
}

/** Look up, once each, the runs behind other runs' markers (not those overridden before: they refuse nothing). */
export async function lookupForeignRuns(markers: MarkerEntry[], ownRunId: string, lookupRun: LookupRun): Promise<Map<string, RunLookup>> {
  const lookups = new Map<string, RunLookup>();
  const foreign = markers.filter((m) => m.runId !== ownRunId && !m.record?.overriddenBy);
  await Promise.all([...new Map(foreign.map((m) => [m.runId, m])).values()].map(async (m) => lookups.set(m.runId, await lookupRun(m.runId, m.record))));
  return lookups;
}
