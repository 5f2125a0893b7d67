// What drbook writes on a host about a run: who holds the host lock (lock.json) and
// the marker of a run that changed the host and has not finished (runs/<id>.json).
// Both are read back by drbooks on other machines, so they are checked as untrusted
// input: a file that does not parse is reported as such, never guessed at.

/** Who is acting, from where: enough for another operator to find the run. */
export interface RunOrigin {
  runId: string;
  runbook: string;
  /** os.hostname() of the operator's machine. */
  machine: string;
  /** The operator's user name on that machine. */
  user: string;
  /** drbook's pid on that machine. */
  pid: number;
  /** The operator's state dir (where the run's journal is). */
  stateDir: string;
}

/** lock.json: the holder of the host lock. */
export interface LockInfo extends RunOrigin {
  /** run, resume or rollback. */
  purpose: 'run' | 'resume' | 'rollback';
  at: string;
  /** The pid of the process holding the lock on the host (written by it). */
  holderPid?: number;
}

/** runs/<id>.json: run <id> changed this host and has not ended done or rolled back. */
export interface MarkerRecord extends RunOrigin {
  startedAt: string;
  /** When this marker was (last) written. */
  at: string;
  hosts: string[];
  /**
   * Another run went ahead over this run's leftovers (--ignore-run) and changed the host
   * since: resuming or rolling back this run would now act on top of that run's changes.
   */
  overriddenBy?: { runId: string; machine: string; user: string; at: string };
}

/** A marker as found on a host: its file name says the run, its content may be damaged. */
export interface MarkerEntry {
  runId: string;
  record?: MarkerRecord;
  /** Why the content could not be read. */
  problem?: string;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isRunIdLike(text: string): boolean {
  return RUN_ID.test(text) && !text.includes('..');
}

function isOrigin(value: Record<string, unknown>): boolean {
  return (
    typeof value.runId === 'string' &&
    typeof value.runbook === 'string' &&
    typeof value.machine === 'string' &&
    typeof value.user === 'string' &&
    Number.isInteger(value.pid) &&
    typeof value.stateDir === 'string'
  );
}

export function parseLockInfo(text: string): LockInfo | undefined {
  const value = parseObject(text);
  if (!value || !isOrigin(value) || typeof value.at !== 'string') return undefined;
  return value as unknown as LockInfo;
}

export function parseMarker(fileRunId: string, text: string): MarkerEntry {
  const value = parseObject(text);
  if (!value) return { runId: fileRunId, problem: 'not a JSON object' };
  if (!isOrigin(value) || typeof value.startedAt !== 'string' || !Array.isArray(value.hosts)) {
    return { runId: fileRunId, problem: 'expected {runId, runbook, machine, user, pid, stateDir, startedAt, hosts}' };
  }
  if (value.runId !== fileRunId) return { runId: fileRunId, problem: `it names run ${String(value.runId)}, not the run of its file name` };
  return { runId: fileRunId, record: value as unknown as MarkerRecord };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
