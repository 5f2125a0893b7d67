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
  if (!stat) return true; // no /proc (macOS), or gone between the two reads: trust kill(0)
  if (stat.state === 'Z' || stat.state === 'X') return false; // a zombie or a dying process runs nothing
  return startTime === undefined || stat.startTime === startTime;
}

/** The kernel's start time of a process (clock ticks since boot), or undefined without /proc. */
export function processStartTime(pid: number = process.pid): string | undefined {
  return readProcStat(pid)?.startTime;
}

export interface ProcStat {
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgid: number;
  /** Clock ticks since boot: with the PID, it names one process (PIDs are reused). */
  startTime: string;
}

/** The fields drbook reads from /proc/<pid>/stat, or undefined when the process is gone (or there is no /proc). */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    // fields[0] is field 3 (state), then ppid (4), pgrp (5); starttime (22) is fields[19].
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]), pgid: Number(fields[2]), startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}
