// Running one of the state-folder commands and reading the words it reports
// (`DRBOOK_HOSTLOCK <word> ...` lines); a command that reports nothing failed.

import type { ShellCommand } from '../shell/command.js';
import type { Transport } from '../core/transport.js';
import { LINE_PREFIX } from './holder-script.js';

export interface Reported {
  /** Each report line as [word, rest]. */
  lines: Array<[string, string]>;
  has(word: string): boolean;
  args(word: string): string[];
}

export async function runReported(transport: Transport, command: ShellCommand, options: { timeoutMs: number; signal?: AbortSignal; stdin?: string }): Promise<Reported> {
  const result = await transport.exec({ command, timeoutMs: options.timeoutMs, signal: options.signal, stdin: options.stdin });
  const lines: Array<[string, string]> = [];
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith(`${LINE_PREFIX} `)) continue;
    const [word = '', ...rest] = line.slice(LINE_PREFIX.length + 1).split(' ');
    lines.push([word, rest.join(' ')]);
  }
  if (lines.length === 0) {
    const how = result.timedOut ? 'timed out' : result.cancelled ? 'was cancelled' : `exited with ${result.exitCode ?? result.signal}`;
    const said = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ');
    throw new Error(`the command ${how}${said ? `: ${said}` : ''}`);
  }
  return { lines, has: (word) => lines.some(([w]) => w === word), args: (word) => lines.filter(([w]) => w === word).map(([, a]) => a) };
}
