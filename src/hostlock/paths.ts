// Where drbook keeps its own state ON A HOST (not in the operator's state dir): the
// host lock and the markers of unfinished runs live beside what they protect, so a
// drbook on another machine, with another state dir, sees them too.
//
//   <hostStateDir>/lock               flock'd exclusively by the run holding the host
//   <hostStateDir>/lock.json          who holds it (informative; the flock is the truth)
//   <hostStateDir>/runs/<id>.json     marker: run <id> changed this host and is not finished
//   <hostStateDir>/runs/<id>.inflight flock'd (shared) by every command a change of run <id> runs

import { isAbsolute, join } from 'node:path';
import { InputError } from '../core/errors.js';
import type { Host } from '../core/inventory.js';
import { hostIdentityOf } from './identity.js';

/** The default on every host drbook reaches as root (real masters). */
export const DEFAULT_HOST_STATE_DIR = '/var/lib/drbook';

export interface HostStateDirContext {
  /** The operator's state dir (journals): the default for a local host when drbook is not root. */
  stateDir: string;
  isRoot?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * The inventory's `hostStateDir`; else, for a local host, $DRBOOK_LOCAL_HOST_STATE_DIR,
 * else /var/lib/drbook as root and `<state dir>/host-state` otherwise (a user who is
 * not root can only change what is theirs; keeping it beside their journals keeps
 * two test trees apart); else, on an SSH host, /var/lib/drbook.
 */
export function hostStateDirOf(host: Host, context: HostStateDirContext): string {
  if (host.hostStateDir) return host.hostStateDir;
  if (host.connection === 'ssh') return DEFAULT_HOST_STATE_DIR;
  const env = context.env ?? process.env;
  const fromEnv = env.DRBOOK_LOCAL_HOST_STATE_DIR;
  if (fromEnv) {
    if (!isAbsolute(fromEnv)) throw new InputError(`DRBOOK_LOCAL_HOST_STATE_DIR=${fromEnv}: expected an absolute path`);
    return fromEnv;
  }
  const isRoot = context.isRoot ?? process.getuid?.() === 0;
  return isRoot ? DEFAULT_HOST_STATE_DIR : join(context.stateDir, 'host-state');
}

/**
 * Two inventory hosts that are the same place (local hosts sharing a folder, or two
 * names for one SSH address) share one lock: the run takes it once.
 */
export function lockPlaceOf(host: Host, dir: string): string {
  return `${hostIdentityOf(host, dir).key}:${dir}`;
}

export const hostPaths = (dir: string) => ({
  dir,
  lock: join(dir, 'lock'),
  lockInfo: join(dir, 'lock.json'),
  runs: join(dir, 'runs'),
  marker: (runId: string) => join(dir, 'runs', `${runId}.json`),
  inflight: (runId: string) => join(dir, 'runs', `${runId}.inflight`),
});
