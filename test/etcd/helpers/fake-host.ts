// A host made of files (fixtures placed at the paths a real host has them) and canned
// answers to the few probe commands the fact readers run, for unit tests of layout
// discovery without processes. `commands` records every command line the code ran, so
// a test can show that something was NOT run (e.g. a wrapper script's --version).

import { readFileSync } from 'node:fs';
import type { ShellCommand } from '../../../src/shell/command.js';
import type { ExecResult } from '../../../src/core/transport.js';
import { fixture } from '../../support/fixtures.js';
import { FakeTransport } from './context.js';

export type Answer = Partial<ExecResult> | ((shell: string) => Partial<ExecResult> | undefined);

export interface FakeHost {
  transport: FakeTransport;
  probe(command: ShellCommand, options?: { timeoutMs?: number }): Promise<ExecResult>;
  commands: string[];
}

/** files: host path → fixture path (relative to fixtures/) or inline text; 'dir' for a directory. */
export function fakeHost(files: Record<string, string | { text: string } | 'dir'>, answers: Record<string, Answer> = {}): FakeHost {
  const map = new Map<string, Buffer | 'dir'>();
  for (const [path, source] of Object.entries(files)) {
    if (source === 'dir') map.set(path, 'dir');
    else map.set(path, typeof source === 'string' ? readFileSync(fixture(source)) : Buffer.from(source.text));
  }
  const transport = new FakeTransport(map, (shell) => {
    for (const [prefix, answer] of Object.entries(answers)) {
      if (!shell.startsWith(prefix)) continue;
      const result = typeof answer === 'function' ? answer(shell) : answer;
      if (result) return { exitCode: 0, ...result };
    }
    return { exitCode: 127, stderr: `not found: ${shell}` };
  });
  return {
    transport,
    commands: transport.commands,
    probe: (command) => transport.exec({ command }),
  };
}

export const fixtureText = (path: string): string => readFileSync(fixture(path), 'utf8');
