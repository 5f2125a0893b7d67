// A run's hosts as the places it locks: one per host state folder (two inventory names
// for one place share its lock), in a fixed global order, so two runs wanting
// overlapping hosts take them in the same order.

import { hostname, userInfo } from 'node:os';
import type { Host } from '../core/inventory.js';
import type { Transport } from '../core/transport.js';
import type { LockTarget } from '../journal/lock.js';
import type { Holder } from './holder.js';
import { hostIdentityOf, type HostIdentity } from './identity.js';
import { hostStateDirOf, lockPlaceOf } from './paths.js';
import type { LockInfo, MarkerEntry, RunOrigin } from './records.js';

export interface Place {
  key: string;
  dir: string;
  /** What the host is (its first inventory name, its address): keys the journal's records of it. */
  identity: HostIdentity;
  /** The inventory hosts at this place; the first names it in messages. */
  hosts: string[];
  transport?: Transport;
  holder?: Holder;
  /** What the holder found when the lock was taken. */
  markers: MarkerEntry[];
  inflight: string[];
  /** Markers of other runs this run accepted (overridden, cleared, or overridden before). */
  accepted: Set<string>;
  /** Markers this run overrides: tombstoned at its first change here. */
  overrides: Array<{ runId: string; marker?: MarkerEntry['record'] }>;
  /** This run's own marker is on the host (found there, or written by this process). */
  ownMarker: boolean;
  /** Written by this process (once per process: the marker names its pid). */
  marked: boolean;
  marking?: Promise<void>;
  reacquiring?: Promise<void>;
  /** Why this run cannot act on the place now (its lock lost and not taken again). */
  refusal?: string;
  /** Locked and its markers decided on (false while it could not be reached). */
  decided?: boolean;
}

export function placesOf(hosts: Host[], stateDir: string): Place[] {
  const byKey = new Map<string, Place>();
  for (const host of hosts) {
    const dir = hostStateDirOf(host, { stateDir });
    const key = lockPlaceOf(host, dir);
    const place = byKey.get(key);
    if (place) place.hosts.push(host.name);
    else byKey.set(key, { key, dir, identity: hostIdentityOf(host, dir), hosts: [host.name], markers: [], inflight: [], accepted: new Set(), overrides: [], ownMarker: false, marked: false });
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The state dir's run locks (journal/lock.ts) of these hosts: keyed by what each host is, named as the inventory names it. */
export function lockTargetsOf(hosts: Host[], stateDir: string): LockTarget[] {
  return hosts.map((host) => {
    const { name, key, where } = hostIdentityOf(host, hostStateDirOf(host, { stateDir }));
    return { name, key, where };
  });
}

export interface Operator {
  machine: string;
  user: string;
  pid: number;
}

export function currentOperator(): Operator {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container's arbitrary uid): keep $USER
  }
  return { machine: hostname(), user, pid: process.pid };
}

export function originOf(operator: Operator, run: { runId: string; runbook: string; stateDir: string }): RunOrigin {
  return { runId: run.runId, runbook: run.runbook, machine: operator.machine, user: operator.user, pid: operator.pid, stateDir: run.stateDir };
}

export function lockInfoOf(origin: RunOrigin, purpose: LockInfo['purpose'], at: Date = new Date()): Omit<LockInfo, 'holderPid'> {
  return { ...origin, purpose, at: at.toISOString() };
}
