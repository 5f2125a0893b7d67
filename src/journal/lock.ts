// One lock file per target host, `<stateDir>/locks/<host key>.lock`, so two runs never
// act on the same host at once, whatever runbooks they run. The key is what the host
// IS (hostlock/identity.ts: `ssh-127.0.0.5-22`, `local-<machine>-<hash>`), not what an
// inventory calls it: two clusters that both have a `node1` do not lock each other out,
// and two names for one host share its lock. A lock is created atomically with its full
// content (written to a temporary file, then hard-linked into place, which fails if the
// name exists): there is never a moment when a lock exists but cannot be read. Hosts are
// locked in sorted key order so two runs wanting overlapping hosts cannot each hold half
// of them.

import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DrbookError } from '../core/errors.js';
import { sleep, isProcessAlive, processStartTime, type IsAlive } from '@drbook/system';
import { locksDir } from './state-dir.js';

export interface LockHolder {
  runId: string;
  /** The holder's name for the host and where it is (absent in locks of drbooks before keys). */
  host?: string;
  where?: string;
  pid: number;
  machine: string;
  at: string;
  /** The holder's process start time (Linux), so a reused pid is not mistaken for the holder. */
  pidStart?: string;
}

export interface Lock {
  readonly runId: string;
  readonly hosts: string[];
  /** Hosts whose lock was left by a dead process and taken over. */
  readonly staleTakenOver: string[];
  /** Who held those stale locks. */
  readonly staleHolders: Array<LockHolder & { host: string }>;
  /** Remove the locks this run still holds. Safe to call twice. */
  release(): Promise<void>;
}

/** A host to lock: its name (for messages) and its identity key (the file name). A plain string is both. */
export interface LockTarget {
  name: string;
  key: string;
  /** How to tell the host apart in messages, e.g. `127.0.0.5:22`. */
  where?: string;
}

export interface LockOptions {
  /** Injected for tests; default process.pid, os.hostname(), isProcessAlive. */
  pid?: number;
  machine?: string;
  isAlive?: IsAlive;
}

const ATTEMPTS = 5;

/** Lock every host for this run, or none: on any refusal the locks already taken are released. */
export async function acquireLock(stateDir: string, hosts: Array<string | LockTarget>, runId: string, options: LockOptions = {}): Promise<Lock> {
  const dir = locksDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pid = options.pid ?? process.pid;
  const me: LockHolder = { runId, pid, machine: options.machine ?? hostname(), at: new Date().toISOString() };
  const pidStart = options.pid === undefined ? processStartTime() : undefined;
  if (pidStart) me.pidStart = pidStart;
  const isLive = (holder: LockHolder) => holder.machine !== me.machine || (options.isAlive ?? isProcessAlive)(holder.pid, holder.pidStart);

  const taken: LockTarget[] = [];
  const staleHolders: Array<LockHolder & { host: string }> = [];
  const release = async () => {
    for (const target of taken.splice(0).reverse()) await releaseHost(lockPath(dir, target.key), me);
  };
  try {
    for (const target of uniqueByKey(hosts)) {
      const stale = await lockHost(lockPath(dir, target.key), target, me, isLive);
      taken.push(target);
      if (stale) staleHolders.push({ ...stale, host: target.name });
      const legacy = target.key === target.name ? undefined : await settleLegacyLock(lockPath(dir, target.name), target, me, isLive);
      if (legacy) staleHolders.push({ ...legacy, host: target.name });
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { runId, hosts: taken.map((t) => t.name), staleTakenOver: staleHolders.map((s) => s.host), staleHolders, release };
}

/** One target per key (two names for one host share its lock), in sorted key order. */
function uniqueByKey(hosts: Array<string | LockTarget>): LockTarget[] {
  const byKey = new Map<string, LockTarget>();
  for (const host of hosts) {
    const target = typeof host === 'string' ? { name: host, key: host } : host;
    if (!byKey.has(target.key)) byKey.set(target.key, target);
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function lockPath(dir: string, key: string): string {
  if (!key) throw new DrbookError('internal', 'cannot lock a host with an empty key');
  // Keys are file-name safe already; plain host names (older callers, tests) may not be: encode path separators.
  return join(dir, `${encodeURIComponent(key)}.lock`);
}

/** Take one host's lock; resolves with the stale holder it replaced, if any. */
async function lockHost(path: string, target: LockTarget, ownHolder: LockHolder, isLive: (h: LockHolder) => boolean): Promise<LockHolder | undefined> {
  const me: LockHolder = { ...ownHolder, host: target.name, ...(target.where ? { where: target.where } : {}) };
  const host = target.where ? `${target.name} (${target.where})` : target.name;
  const content = JSON.stringify(me) + '\n';
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await createExclusive(path, content)) return undefined;
    const existing = await readHolder(path);
    if (!existing) continue; // released in between: try again
    if (!existing.holder) {
      throw new DrbookError('locked', `host ${host} has a lock file that cannot be read (${path}): ${existing.problem}`, {
        host: target.name,
        hint: `if no drbook run is active against ${host}, delete ${path} and start again`,
      });
    }
    if (isLive(existing.holder)) throw lockedError(path, host, existing.holder, me);
    if (await takeOver(path, existing.raw, content, isLive)) return existing.holder;
    await sleep(20 + Math.random() * 50); // someone else moved first: look again
  }
  throw new DrbookError('locked', `host ${host}: its lock ${path} kept changing while drbook tried to take it; another run is starting against it`, {
    host: target.name,
    hint: 'see `drbook runs`, then try again',
  });
}

/**
 * A lock by host name, as drbooks before host keys took them (`locks/<name>.lock`): one
 * left by a dead process (a crashed run of the old version) goes, reported as stale like
 * any other; one whose holder lives (an old drbook running now) refuses, since it cannot
 * say which host it holds. Looked at while holding the host's keyed lock, so only an old
 * drbook can race this.
 */
async function settleLegacyLock(path: string, target: LockTarget, me: LockHolder, isLive: (h: LockHolder) => boolean): Promise<LockHolder | undefined> {
  const existing = await readHolder(path);
  if (!existing?.holder) return undefined; // none, or not a lock drbook can read: not ours to judge any more
  if (isLive(existing.holder)) {
    const error = lockedError(path, `${target.name}${target.where ? ` (${target.where})` : ''}`, existing.holder, me);
    throw new DrbookError('locked', `${error.message}; that is an earlier drbook's lock by host name only, which may be another cluster's ${target.name}`, { host: target.name, hint: error.hint });
  }
  if ((await readFile(path, 'utf8').catch(() => undefined)) === existing.raw) await unlink(path).catch(() => undefined); // gone meanwhile: fine
  return existing.holder;
}

/**
 * Replace a dead process's lock. Two runs may find the same stale lock at once; a
 * short-lived guard file (created exclusively) lets only one of them replace it, and
 * that one checks the lock is still the stale one before renaming its own over it.
 */
async function takeOver(path: string, staleRaw: string, content: string, isLive: (h: LockHolder) => boolean): Promise<boolean> {
  const guard = `${path}.takeover`;
  if (!(await createExclusive(guard, content))) {
    const other = await readHolder(guard);
    if (other?.holder && !isLive(other.holder)) {
      throw new DrbookError('locked', `a stale takeover guard ${guard} was left by dead process ${other.holder.pid} (run ${other.holder.runId})`, {
        hint: `no drbook run is using it: delete ${guard} and start again`,
      });
    }
    return false;
  }
  try {
    // A lock we cannot read is not the stale one we saw: leave it (the caller reports the lock as held).
    if ((await readFile(path, 'utf8').catch(() => undefined)) !== staleRaw) return false;
    const temp = tempName(path);
    await writeFile(temp, content, { mode: 0o600, flag: 'wx', flush: true });
    await rename(temp, path);
    // Gone or unreadable right after our rename means another process took it over: not ours.
    return (await readFile(path, 'utf8').catch(() => undefined)) === content;
  } finally {
    // The guard may be gone already (a takeover that found it stale); nothing else holds it.
    await unlink(guard).catch(() => undefined);
  }
}

/** Create `path` holding `content`, atomically; false if it exists. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = tempName(path);
  await writeFile(temp, content, { mode: 0o600, flag: 'wx', flush: true });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new DrbookError('locked', `cannot create the lock ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    // After a successful rename the temp name is gone: ENOENT is the normal case here.
    await unlink(temp).catch(() => undefined);
  }
}

type ReadHolder = { raw: string; holder: LockHolder; problem?: undefined } | { raw: string; holder?: undefined; problem: string };

/** The lock's holder; undefined when the file is gone. */
async function readHolder(path: string): Promise<ReadHolder | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(raw) as Partial<LockHolder>;
    if (typeof value.runId === 'string' && Number.isInteger(value.pid) && typeof value.machine === 'string' && typeof value.at === 'string') {
      return { raw, holder: value as LockHolder };
    }
    return { raw, problem: 'expected {runId, pid, machine, at}' };
  } catch (error) {
    return { raw, problem: `not JSON (${(error as Error).message})` };
  }
}

/** Remove a lock only if it is still ours (it may have been taken over as stale meanwhile). */
async function releaseHost(path: string, me: LockHolder): Promise<void> {
  // Unreadable or gone: then it is not ours to remove.
  const existing = await readHolder(path).catch(() => undefined);
  if (existing?.holder?.runId !== me.runId || existing.holder.pid !== me.pid) return;
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

function lockedError(path: string, host: string, holder: LockHolder, me: LockHolder): DrbookError {
  // The same host under another name in the holder's inventory: say so, or the message reads as a mix-up.
  const alias = holder.host && me.host && holder.host !== me.host ? `, which calls it ${holder.host}` : '';
  if (holder.machine !== me.machine) {
    return new DrbookError(
      'locked',
      `host ${host} is locked by run ${holder.runId} (pid ${holder.pid} on machine ${holder.machine}, since ${holder.at}${alias}), which cannot be checked from ${me.machine}`,
      {
        host: me.host,
        hint: `if that run is over, delete ${path} and start again`,
      },
    );
  }
  return new DrbookError('locked', `host ${host} is locked by run ${holder.runId} (pid ${holder.pid}, since ${holder.at}${alias}), which is still running`, {
    host: me.host,
    hint: `wait for it to finish (\`drbook runs\` shows it); if it hangs, stop process ${holder.pid}: its lock is then taken over as stale`,
  });
}

function tempName(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}
