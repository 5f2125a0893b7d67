// Stopping processes the one way drbook stops them: SIGTERM, a grace period, then
// SIGKILL for whatever is left, and a bounded wait until it is gone. Used for a local
// command's process group (transport/local), a sandbox container and its group (the
// kubelet stand-in), the runners and leftovers `sandbox down` stops, and an sshd with
// the sessions it forked (those call setsid(), so they are signalled one by one:
// scope 'process').

import { readdirSync } from 'node:fs';
import { isProcessAlive, readProcStat } from './process-alive.js';
import { sleep } from './sleep.js';

export interface TerminateOptions {
  /** 'group' (default): each pid leads a process group, and the whole group is signalled and waited for; 'process': each pid alone. */
  scope?: 'group' | 'process';
  /** Time between SIGTERM and SIGKILL. */
  graceMs: number;
  /** How long to wait after SIGKILL before calling a process "still alive" (default 5 s). */
  killWaitMs?: number;
  /** Told which targets outlived the grace period, just before they get SIGKILL. */
  onKill?: (pids: number[]) => void;
}

export interface TerminateReport {
  /** Targets that were alive when asked to stop. */
  stopped: number[];
  /** Targets still alive after SIGKILL and killWaitMs (a human must look). */
  stillAlive: number[];
}

const POLL_MS = 25;

/** SIGTERM every target, SIGKILL those left after graceMs, wait until all are gone. */
export async function terminateProcesses(pids: number[], options: TerminateOptions): Promise<TerminateReport> {
  const group = (options.scope ?? 'group') === 'group';
  const alive = (pid: number) => (group ? groupAlive(pid) : isProcessAlive(pid));
  const targets = [...new Set(pids)].filter((pid) => Number.isInteger(pid) && pid > 0 && alive(pid));
  for (const pid of targets) sendSignal(pid, 'SIGTERM', group);
  await waitUntilGone(targets, alive, options.graceMs);
  const stubborn = targets.filter(alive);
  if (stubborn.length > 0) {
    options.onKill?.(stubborn);
    for (const pid of stubborn) sendSignal(pid, 'SIGKILL', group);
    await waitUntilGone(stubborn, alive, options.killWaitMs ?? 5_000);
  }
  return { stopped: targets, stillAlive: targets.filter(alive) };
}

/** One process group (led by `pid`): true once nothing of it runs any more. */
export async function terminateProcessGroup(pid: number, options: Omit<TerminateOptions, 'scope'>): Promise<boolean> {
  const report = await terminateProcesses([pid], { ...options, scope: 'group' });
  return report.stillAlive.length === 0;
}

/** Signals a group; a pid that leads none (not started detached) gets the signal alone. */
function sendSignal(pid: number, signal: NodeJS.Signals, group: boolean): void {
  if (group) {
    try {
      process.kill(-pid, signal);
      return;
    } catch {
      // no such group: fall through to the process itself
    }
  }
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

/**
 * Does anything of the group still run? kill(-pgid, 0) fails once the group is empty;
 * while it succeeds, zombies (members exited but not yet reaped, e.g. reparented to an
 * init that never reaps) do not count, so /proc is asked which members really run.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return isProcessAlive(pgid); // not a group leader: the process alone
    return true; // EPERM: it exists
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill(0)
  }
  return entries.some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    const stat = readProcStat(Number(entry));
    return stat !== undefined && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X';
  });
}

async function waitUntilGone(pids: number[], alive: (pid: number) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(POLL_MS);
}
