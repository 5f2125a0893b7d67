// Where drbook keeps its history: one folder per run holding the journal, and one
// lock file per target host. The default follows the XDG base-directory spec, since a
// journal is state (it must survive reboots) rather than cache or configuration.

import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DrbookError } from '../core/errors.js';

/** `--state-dir` > `$DRBOOK_STATE_DIR` > `$XDG_STATE_HOME/drbook` > `~/.local/state/drbook`, always absolute. */
export function resolveStateDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.DRBOOK_STATE_DIR) return resolve(env.DRBOOK_STATE_DIR);
  // The XDG spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'drbook');
  return join(homedir(), '.local', 'state', 'drbook');
}

/**
 * A run id sorts by start time (UTC, to the second) and ends with 4 random hex
 * digits, e.g. `20261123T091530Z-3fa9`. JournalWriter.create refuses an id that
 * exists, so the rare collision is caught rather than merged into another run.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

// Run ids become folder names: anything that could climb out of runs/ is refused.
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId) || runId.includes('..')) {
    throw new DrbookError('journal', `invalid run id "${runId}": expected letters, digits, ".", "_" or "-", e.g. 20261123T091530Z-3fa9`, {
      hint: 'run `drbook runs` to see the ids of past runs',
    });
  }
}

export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs');
}

export function runDir(stateDir: string, runId: string): string {
  assertRunId(runId);
  return join(stateDir, 'runs', runId);
}

export function journalPath(stateDir: string, runId: string): string {
  return join(runDir(stateDir, runId), 'journal.jsonl');
}

export function locksDir(stateDir: string): string {
  return join(stateDir, 'locks');
}
