// Telling a live run from a dead one, for run listings and stale locks. kill(pid, 0)
// alone is not enough: EPERM means the process exists (a run started by root, listed
// by a user), a zombie is dead for our purpose, and a pid can be reused by an
// unrelated process, which the process start time recorded beside it reveals.

import { readFileSync } from 'node:fs';

export type IsAlive = (pid: number, startTime?: string) => boolean;

/** True while the process exists and is not a zombie; false when `startTime` is given and differs (pid reused). */
export function isProcessAlive(pid: number | undefined, startTime?: string): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid);
  if (!stat) return true; // no /proc (macOS): trust kill(0)
  if (stat.state === 'Z' || stat.state === 'X') return false; // a zombie or a dying process runs nothing
  return startTime === undefined || stat.startTime === startTime;
}

/** The kernel's start time of a process (clock ticks since boot), or undefined without /proc. */
export function processStartTime(pid: number = process.pid): string | undefined {
  return readProcStat(pid)?.startTime;
}

function readProcStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
    return { state: fields[0] ?? '', startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}
