// One error root with a small tree. Every error drbook raises on purpose is a
// DrbookError: the CLI prints its message (never a stack) and maps it to an exit code.
// `host` and `step` say where a runtime error happened; `cause` keeps the original.

export type ErrorKind =
  | 'input' //        bad runbook, inventory, flag or parameter: exit 2
  | 'step' //         a step failed on a host
  | 'unreachable' //  the host could not be reached: its state is unknown, re-probe
  | 'timeout' //      a step or command ran past its timeout
  | 'cancelled' //    SIGINT/SIGTERM or an aborted run
  | 'locked' //       another run holds the targets
  | 'journal' //      the journal is missing, corrupt or does not match
  | 'internal';

export interface ErrorPlace {
  host?: string;
  step?: string;
}

export class DrbookError extends Error {
  readonly kind: ErrorKind;
  readonly host?: string;
  readonly step?: string;
  readonly hint?: string;

  constructor(kind: ErrorKind, message: string, options: ErrorPlace & { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DrbookError';
    this.kind = kind;
    this.host = options.host;
    this.step = options.step;
    this.hint = options.hint;
  }

  /** "[host m1, step restore] message" — the form every renderer prints. */
  describe(): string {
    const where = [this.host && `host ${this.host}`, this.step && `step ${this.step}`].filter(Boolean).join(', ');
    return (where ? `[${where}] ` : '') + this.message + (this.hint ? `\n  hint: ${this.hint}` : '');
  }
}

/** One problem found while loading input, with the place it was found. */
export interface InputIssue {
  file?: string;
  line?: number; // 1-based
  col?: number; // 1-based
  path?: string; // key path, e.g. steps[2].with.source
  message: string; // what was expected / what is wrong
}

export function formatIssue(issue: InputIssue): string {
  const place = issue.file ? `${issue.file}${issue.line ? `:${issue.line}:${issue.col ?? 1}` : ''}` : '';
  const key = issue.path ? `${issue.path}: ` : '';
  return `${place ? place + ': ' : ''}${key}${issue.message}`;
}

/** Invalid input: carries every issue found, not only the first. */
export class InputError extends DrbookError {
  readonly issues: InputIssue[];
  constructor(issues: InputIssue[] | string, hint?: string) {
    const list = typeof issues === 'string' ? [{ message: issues }] : issues;
    super('input', list.map(formatIssue).join('\n'), { hint });
    this.name = 'InputError';
    this.issues = list;
  }
}

export function isDrbookError(error: unknown): error is DrbookError {
  return error instanceof DrbookError;
}

/** A message fit for an operator, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof DrbookError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
