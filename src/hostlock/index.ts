// The host lock: a lock on every host a run changes, seen by drbooks on other machines;
// markers of unfinished runs on the hosts; an in-flight lock held by every command a
// change runs. The engine's insertion points are the functions exported here.

export { acquireHostLocks, INFLIGHT_WAIT_MS, type AcquireHostLocksRequest } from './acquire.js';
export { clearRunMarkers } from './clear-markers.js';
export { HostLocks, type Notice } from './host-locks.js';
export { inspectHostLocks, type Inspection } from './inspect.js';
export { hostStateDirOf, DEFAULT_HOST_STATE_DIR } from './paths.js';
export { hostIdentityOf, describeHost, type HostIdentity } from './identity.js';
export { lockTargetsOf } from './places.js';

/**
 * A run ends clean when the hosts are where it meant them to be or back where they
 * were: done, a rollback its checks verified, or an end whose exit code says the hosts
 * are as before (1 failed, 130 interrupted: nothing applied, or every change probed
 * reverted; see EXIT in engine/run.ts). Then its markers go; otherwise (exit 3: a human
 * must look) they stay, and the next run asks about it.
 */
export function isCleanEnd(outcome: { state: string; exitCode?: number; rollback?: { ok: boolean } }): boolean {
  return outcome.state === 'done' || outcome.state === 'rolled-back' || outcome.rollback?.ok === true || outcome.exitCode === 1 || outcome.exitCode === 130;
}
