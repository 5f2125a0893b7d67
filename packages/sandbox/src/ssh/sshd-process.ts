// Starting and stopping one OpenSSH server: the one launcher used by `sandbox up --ssh`
// and by the transport tests. sshd runs in the foreground (-D) so the PID we record is
// sshd's own (no daemon fork to chase), and we wait for its own "Server listening" log
// line rather than probing the port, so no stray connection shows up in its log.
// Stopping is by that PID plus everything it forked, found by parent PID in /proc:
// sshd's per-connection children call setsid(), so a process-group kill would miss them,
// and a listener's SIGTERM leaves running sessions alive on purpose.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SandboxError } from '../errors.js';
import { listDescendants, readCmdline } from '../processes.js';
import { isProcessAlive, terminateProcesses } from '@drbook/system';

/** sshd refuses to start unless given by absolute path (it re-executes itself). */
export const SSHD_BINARY = '/usr/sbin/sshd';

export interface LaunchSshdOptions {
  /** Absolute path of its sshd_config. */
  configFile: string;
  /** sshd's log (-E); its stdout and stderr go there too. */
  logFile: string;
  /** Own session, not waited for: the server outlives `drbook sandbox up`. */
  detached?: boolean;
  /** How long to wait for "Server listening" (default 10 s). */
  timeoutMs?: number;
  /** Who this server is, for error messages (e.g. "node1"). */
  label?: string;
}

export interface LaunchedSshd {
  pid: number;
  child: ChildProcess;
}

export async function launchSshd(options: LaunchSshdOptions): Promise<LaunchedSshd> {
  ensurePrivilegeSeparationDir();
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(SSHD_BINARY, ['-D', '-f', options.configFile, '-E', options.logFile], { detached: options.detached ?? false, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const label = options.label ? `sshd of ${options.label}` : 'sshd';
  if (child.pid === undefined) {
    const why = await new Promise<string>((resolve) => child.once('error', (error) => resolve(error.message)));
    throw new SandboxError('step', `cannot start ${label} (${SSHD_BINARY}): ${why}`, { hint: "the SSH sandbox needs OpenSSH's server (Debian: apt-get install openssh-server)" });
  }
  const pid = child.pid;
  if (options.detached) child.unref();
  try {
    await waitForListening(pid, child, options.logFile, options.timeoutMs ?? 10_000, label);
  } catch (error) {
    await stopSshd(pid);
    throw error;
  }
  return { pid, child };
}

async function waitForListening(pid: number, child: ChildProcess, logFile: string, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  while (Date.now() < deadline) {
    if (/Server listening on /.test(readLog())) return;
    if (child.exitCode !== null || child.signalCode !== null || !isProcessAlive(pid)) {
      throw new SandboxError('step', `${label} exited at start (code ${child.exitCode ?? child.signalCode ?? '?'}): ${lastLines(readLog())}`, { hint: `read ${logFile}` });
    }
    await sleep(25);
  }
  throw new SandboxError('timeout', `${label} did not start listening within ${Math.round(timeoutMs / 1000)} s: ${lastLines(readLog())}`, { hint: `read ${logFile}` });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ') || 'nothing in its log';
}

// sshd started as root insists on its privilege separation directory.
function ensurePrivilegeSeparationDir(): void {
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
}

/**
 * Is `pid` still the sshd started with `configFile`? The listener rewrites its title to
 * "sshd: /usr/sbin/sshd -D -f CONFIG ... [listener] ...", so the config path is looked
 * for in the whole command line. Guards against signalling a reused PID.
 */
export function isSshdOf(pid: number, configFile: string): boolean {
  const cmdline = (readCmdline(pid) ?? []).join(' ');
  return isProcessAlive(pid) && /sshd/.test(cmdline) && cmdline.includes(configFile);
}

export interface StopSshdReport {
  /** The server and every process it had forked (sessions, their commands) that were alive. */
  stopped: number[];
  stillAlive: number[];
}

/** SIGTERM the server and its descendants, SIGKILL whatever outlives `graceMs`. */
export async function stopSshd(pid: number, graceMs = 2000): Promise<StopSshdReport> {
  return stopProcessTree([pid], graceMs);
}

/** Like a host crash: SIGKILL the server and every process it forked, at once. */
export function crashSshd(pid: number): void {
  for (const descendant of listDescendants(pid)) signal(descendant, 'SIGKILL');
  signal(pid, 'SIGKILL');
}

/**
 * Stops `roots` and all their descendants (listed before any signal: orphans get
 * reparented), each on its own: sessions are not in the server's process group.
 */
export async function stopProcessTree(roots: number[], graceMs = 2000): Promise<StopSshdReport> {
  const all = [...new Set(roots.flatMap((root) => [root, ...listDescendants(root)]))];
  return terminateProcesses(all, { scope: 'process', graceMs });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
