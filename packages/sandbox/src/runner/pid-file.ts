// run/runner.pid: how `sandbox down/status`, the kubeletRestart command and a second
// runner find a node's runner. The PID is trusted only if it still runs a runner.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathsOfNode } from '../layout.js';
import { readCmdline } from '../processes.js';
import { isProcessAlive } from '@drbook/system';

export function runnerPidFile(nodeDir: string): string {
  return join(pathsOfNode(nodeDir).runDir, 'runner.pid');
}

/** The PID of a live runner of this node, if there is one. */
export function readLiveRunnerPid(nodeDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(runnerPidFile(nodeDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  const cmdline = readCmdline(pid)?.join(' ') ?? '';
  return isProcessAlive(pid) && /runner[/\\]main\.[jt]s/.test(cmdline) ? pid : undefined;
}
