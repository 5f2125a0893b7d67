// Facts about processes by PID, from /proc. The sandbox only ever signals a PID it
// recorded itself, and first checks that the PID still runs what it recorded: a PID can
// be reused by an unrelated process after the original died.

import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isProcessAlive, readProcStat, sleep } from '@drbook/system';

export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const parts = raw.split('\0');
    if (parts.at(-1) === '') parts.pop();
    return parts;
  } catch {
    return undefined;
  }
}

/**
 * Does `pid` still run `argv`? Exact match, or (should a program rewrite its title)
 * the same program name with the recorded argv's most telling argument present.
 */
export function processRuns(pid: number, argv: string[]): boolean {
  const cmdline = readCmdline(pid);
  if (!cmdline || cmdline.length === 0 || argv.length === 0) return false;
  if (cmdline.length === argv.length && cmdline.every((part, i) => part === argv[i])) return true;
  const sameProgram = basename(cmdline[0]!) === basename(argv[0]!);
  const telling = argv.find((a, i) => i > 0 && !a.startsWith('--import') && !a.startsWith('file:')) ?? argv[0]!;
  return sameProgram && cmdline.includes(telling);
}

/** Polls until the process is gone; true if it went within `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}

/** Process group of a PID, or undefined if it is gone. */
export function processGroupOf(pid: number): number | undefined {
  return readProcStat(pid)?.pgid;
}

/** Parent PID, or undefined if it is gone. */
export function parentOf(pid: number): number | undefined {
  return readProcStat(pid)?.ppid;
}

/** This process and its ancestors: never to be signalled by a sweep. */
export function selfAndAncestors(): Set<number> {
  const pids = new Set<number>();
  for (let pid: number | undefined = process.pid; pid && pid > 1 && !pids.has(pid); pid = parentOf(pid)) pids.add(pid);
  return pids;
}

/** Every PID whose argv matches `predicate` (other than this process and its ancestors). */
export function findProcesses(predicate: (argv: string[]) => boolean): number[] {
  const spared = selfAndAncestors();
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (spared.has(pid)) continue;
    const argv = readCmdline(pid);
    if (argv && argv.length > 0 && isProcessAlive(pid) && predicate(argv)) found.push(pid);
  }
  return found;
}

/** Every live descendant of `pid` (children, their children, ...), by parent PIDs in /proc. */
export function listDescendants(pid: number): number[] {
  const childrenOf = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry)); // undefined: exited while we looked
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    childrenOf.set(stat.ppid, [...(childrenOf.get(stat.ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of childrenOf.get(queue.shift()!) ?? []) {
      if (found.includes(child)) continue;
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}
