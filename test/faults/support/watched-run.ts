// A `drbook run` the test acts on while it runs: it waits for a JSON event (a change
// starting, an undo starting) and then signals drbook from outside, as an operator's
// Ctrl-C, a `kill`, or a supervisor would.

import { execa } from 'execa';
import { parseEvents, startCli, type CliResult } from '../../e2e/support/cli.js';

export interface WatchedRun {
  pid: number;
  /** Resolves with the first event that matches, once it is on drbook's stdout. */
  event(match: (e: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  signal(signal: NodeJS.Signals): void;
  done: Promise<CliResult>;
}

export function watchRun(args: string[], env: Record<string, string>): WatchedRun {
  const cli = startCli(args, { env });
  let finished = false;
  cli.done.then(() => (finished = true));
  return {
    pid: cli.child.pid!,
    done: cli.done,
    signal: (signal) => cli.child.kill(signal),
    async event(match, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lines = cli
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{') && l.endsWith('}'));
        const found = parseEvents(lines.join('\n')).find(match);
        if (found) return found;
        if (finished || Date.now() > deadline) throw new Error(`the awaited event did not come; output:\n${cli.output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** True when this process may mount (root); else the reason to print when skipping. */
export function mountSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: the tmpfs cases need mount(8) (skipped)';
  return undefined;
}

export async function mountTmpfs(dir: string, size: string): Promise<void> {
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
}

export async function unmount(dir: string): Promise<void> {
  const first = await execa('umount', [dir], { reject: false });
  if (first.exitCode !== 0) await execa('umount', ['-l', dir], { reject: false });
}

/** Fills the filesystem of `dir` with one file until `leaveBytes` are free (tmpfs counts pages). */
export async function fillLeaving(dir: string, file: string, leaveBytes: number): Promise<void> {
  const df = await execa('df', ['-B1', '--output=avail', dir]);
  const avail = Number(df.stdout.trim().split('\n').pop());
  const size = Math.max(0, avail - leaveBytes);
  await execa('fallocate', ['-l', String(size), file]);
}
