// One container of the sandbox's kubelet: a process started in its own process group
// (so stopping it reaches everything it started) with stdout and stderr appended to its
// log, and stopped the kubelet's way: SIGTERM, a grace period, then SIGKILL.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { terminateProcessGroup } from '@drbook/system';
import { errorMessage } from '../errors.js';
import { containerEnvironment } from './commands.js';
import type { ContainerRecord } from './state.js';

export interface Container {
  record: ContainerRecord;
  child?: ChildProcess;
  /** Settles once the process has exited (or could not start). */
  exited: Promise<void>;
}

/**
 * Starts `record.argv`; fills record.pid. When the process ends (or fails to start) the
 * record becomes exited and `onExit` is called once, with how it ended.
 */
export function launchContainer(record: ContainerRecord, onExit: (how: string) => void): Container {
  const { argv } = record;
  const fd = openSync(record.logPath, 'a');
  let child: ChildProcess | undefined;
  try {
    writeSync(fd, `--- ${record.createdAt} starting ${record.name} (attempt ${record.attempt}): ${argv.join(' ')}\n`);
    child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: containerEnvironment() });
  } catch (error) {
    writeSync(fd, `--- cannot start: ${errorMessage(error)}\n`);
  } finally {
    closeSync(fd);
  }
  let settle!: () => void;
  const exited = new Promise<void>((resolve) => (settle = resolve));
  const finish = (code: number | null, how: string) => {
    if (record.state === 'exited') return;
    record.state = 'exited';
    record.exitCode = code;
    record.finishedAt = new Date().toISOString();
    settle();
    onExit(how);
  };
  if (!child || child.pid === undefined) {
    // ENOENT and the like arrive as an 'error' event on a child without a pid.
    // Reported on the next tick, so the caller holds the Container before onExit runs.
    child?.once('error', () => undefined);
    process.nextTick(() => finish(null, `cannot start ${argv[0]}`));
  } else {
    record.pid = child.pid;
    child.once('exit', (code, signal) => finish(code, signal ?? `code ${code}`));
    child.once('error', (error) => finish(null, error.message));
  }
  return { record, child, exited };
}

/** SIGTERM to the container's group, SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopContainer(container: Container, graceMs: number, log: (line: string) => void): Promise<void> {
  const { record } = container;
  if (record.state === 'exited' || record.pid <= 0) return;
  const group = record.pid;
  await terminateProcessGroup(group, { graceMs, onKill: () => log(`${record.name} pid ${group} ignored SIGTERM for ${graceMs} ms: SIGKILL`) });
  await container.exited;
}
