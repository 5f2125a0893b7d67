// The one error path of every command, subcommands included: what reaches the
// operator is a message (never a stack unless DRBOOK_DEBUG is set) and one exit code
// per kind of error, the README's table:
//   2  invalid input (runbook, inventory, flags, parameters) or refused before any
//      change — a held lock is a refusal, in `drbook sandbox ...` as everywhere;
//   1  everything else that stopped a command (a step, a timeout, a journal that
//      cannot be read), and drbook's own bugs.
// Codes 0, 1, 3 and 130 of a run come from the run's outcome, not from an error.

import { DrbookError, InputError, errorMessage, type ErrorKind } from '../core/errors.js';

export const USAGE_EXIT = 2;

const REFUSED: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['input', 'locked']);

export function exitCodeOf(error: unknown): number {
  return error instanceof DrbookError && REFUSED.has(error.kind) ? USAGE_EXIT : 1;
}

/** Print `error` for the operator and return its exit code. */
export function reportError(error: unknown, write: (text: string) => void = (text) => void process.stderr.write(text)): number {
  if (process.env.DRBOOK_DEBUG && error instanceof Error) write(`${error.stack}\n`);
  if (error instanceof InputError) {
    write(`error: ${error.issues.length > 1 ? `${error.issues.length} problems:\n` : ''}${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
  } else if (error instanceof DrbookError) {
    write(`error: ${error.describe()}\n`);
  } else {
    write(`error: ${firstLine(errorMessage(error))}\n(this is a bug in drbook; run with DRBOOK_DEBUG=1 for the stack)\n`);
  }
  return exitCodeOf(error);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
