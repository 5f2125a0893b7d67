// Drives the real CLI (bin/drbook.js → dist) as an operator would, in a child process.

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../support/fixtures.js';

export const REPO = `${REPO_ROOT}/`;
export const BIN = `${REPO}bin/drbook.js`;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  stateDir?: string;
  cwd?: string;
  input?: string;
}

export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult>; output: () => string } {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), NO_COLOR: '1', ...options.env };
  if (options.stateDir) {
    env.DRBOOK_STATE_DIR = options.stateDir;
    // Local hosts keep their host lock and run markers beside the test's state dir, not in
    // /var/lib/drbook (the default as root): tests stay apart from each other and the machine.
    env.DRBOOK_LOCAL_HOST_STATE_DIR = options.env?.DRBOOK_LOCAL_HOST_STATE_DIR ?? join(dirname(options.stateDir), 'host-state');
  }
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (options.input !== undefined) child.stdin!.end(options.input);
  else child.stdin!.end();
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, output: () => stdout + stderr };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Wait until `predicate` holds on the output so far (polling), or fail after `timeoutMs`. */
export async function waitForOutput(output: () => string, predicate: (text: string) => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(output())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for output; got:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** JSON events from --output json. */
export function parseEvents(stdout: string): Array<Record<string, any>> {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}
