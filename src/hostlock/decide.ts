// Whether a run may go ahead on hosts it has locked, from what the hosts hold: the
// markers of unfinished runs and the runs with a command still in flight. Pure: the
// hosts' reports and what this machine's journals say come in, the decision goes out.
//
// A marker of another run refuses, unless the run's journal is here and shows the
// marker is harmless (it ended done or rolled back, or it never began a change on that
// host: killed between writing the marker and its first change), or the operator named
// the run with --ignore-run. A run's own marker is its own (resume, rollback), unless
// another run went ahead over it since (then that run must be named).

import type { RunLookup } from './run-lookup.js';
import type { MarkerEntry, MarkerRecord } from './records.js';

export interface HostFindings {
  host: string;
  /** What the host is (hostlock/identity.ts): matched against the journal of the run behind a marker. */
  key?: string;
  markers: MarkerEntry[];
  /** Runs with a command in flight on the host. */
  inflight: string[];
}

export interface Self {
  runId: string;
  /** Runs the operator named with --ignore-run. */
  ignoreRuns: ReadonlySet<string>;
}

export type Refusal =
  | { kind: 'unfinished'; runId: string; hosts: string[]; marker?: MarkerRecord; lookup?: RunLookup; inflightOn: string[] }
  | { kind: 'damaged-marker'; runId: string; hosts: string[]; problem: string }
  | { kind: 'overridden'; runId: string; hosts: string[]; by: NonNullable<MarkerRecord['overriddenBy']> };

export interface Decision {
  refusals: Refusal[];
  /** Harmless markers of other runs, removed before the run goes on. */
  clear: Array<{ host: string; runId: string; why: string }>;
  /** Markers the operator overrode: they get `overriddenBy` when this run first changes the host. */
  override: Array<{ host: string; runId: string; marker?: MarkerRecord }>;
  /** Runs whose commands are still in flight, per host: waited for before anything runs there. */
  waitFor: Array<{ host: string; runIds: string[] }>;
  /** Things worth saying that change nothing (a run overridden earlier). */
  notes: Array<{ host: string; message: string }>;
}

export function decideHosts(hosts: HostFindings[], self: Self, lookups: ReadonlyMap<string, RunLookup>): Decision {
  const decision: Decision = { refusals: [], clear: [], override: [], waitFor: [], notes: [] };
  const refuse = (refusal: Refusal, host: string) => {
    const same = decision.refusals.find((r) => r.kind === refusal.kind && r.runId === refusal.runId);
    if (same) same.hosts.push(host);
    else decision.refusals.push(refusal);
  };
  for (const { host, key, markers, inflight } of hosts) {
    for (const marker of markers) {
      const { runId, record } = marker;
      if (runId === self.runId) {
        const by = record?.overriddenBy;
        if (by && !self.ignoreRuns.has(by.runId)) refuse({ kind: 'overridden', runId, hosts: [host], by }, host);
        continue;
      }
      if (record?.overriddenBy) {
        decision.notes.push({
          host,
          message: `run ${runId} left changes on ${host} that run ${record.overriddenBy.runId} overrode (${record.overriddenBy.user}@${record.overriddenBy.machine}, ${record.overriddenBy.at})`,
        });
        continue;
      }
      const lookup = lookups.get(runId);
      const harmless = lookup && whyHarmless(lookup, host, key);
      if (harmless) {
        decision.clear.push({ host, runId, why: harmless });
        continue;
      }
      if (self.ignoreRuns.has(runId)) {
        decision.override.push({ host, runId, marker: record });
        continue;
      }
      if (marker.problem) refuse({ kind: 'damaged-marker', runId, hosts: [host], problem: marker.problem }, host);
      else refuse({ kind: 'unfinished', runId, hosts: [host], marker: record, lookup, inflightOn: [] }, host);
    }
    if (inflight.length) decision.waitFor.push({ host, runIds: [...new Set(inflight)] });
  }
  for (const { host, runIds } of decision.waitFor) {
    for (const refusal of decision.refusals) if (refusal.kind === 'unfinished' && runIds.includes(refusal.runId)) refusal.inflightOn.push(host);
  }
  return decision;
}

/**
 * Why a marker can go, by its journal here; undefined when it must stay. Whether that run
 * changed this host is asked by what the host is when its journal says (it may have called
 * the host by another name); by name only for journals from before host keys.
 */
function whyHarmless(lookup: RunLookup, host: string, key: string | undefined): string | undefined {
  if (!lookup.readable) return undefined;
  const { state } = lookup.summary;
  if (state === 'running' || state === 'unreadable') return undefined;
  if (state === 'done' || state === 'rolled-back') return `its journal says ${state}`;
  const changed = key && lookup.changedKeys ? lookup.changedKeys.includes(key) : lookup.changedHosts.includes(host);
  if (!changed) return `its journal (${state}) shows no change begun on ${host}`;
  return undefined;
}
