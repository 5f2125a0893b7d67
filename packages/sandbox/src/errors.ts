// The sandbox's own errors. Every error it raises on purpose is a SandboxError whose
// message is fit for an operator (what failed, on which node, and a hint what to do);
// a caller such as the drbook CLI prints `describe()`, never a stack. `kind` says how it
// failed: 'input' for bad options or a folder that is not the sandbox's (drbook exits 2),
// the others for a sandbox that could not be built, run or stopped.

export type SandboxErrorKind = 'input' | 'step' | 'timeout' | 'internal';

export interface SandboxErrorOptions {
  /** The node it happened on (node1, worker2...). */
  host?: string;
  hint?: string;
  cause?: unknown;
}

export class SandboxError extends Error {
  readonly kind: SandboxErrorKind;
  readonly host?: string;
  readonly hint?: string;

  constructor(kind: SandboxErrorKind, message: string, options: SandboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SandboxError';
    this.kind = kind;
    this.host = options.host;
    this.hint = options.hint;
  }

  /** "[host node1] message\n  hint: ..." */
  describe(): string {
    return (this.host ? `[host ${this.host}] ` : '') + this.message + (this.hint ? `\n  hint: ${this.hint}` : '');
  }
}

/** Where in a file bad input was found: printed "file: path: message", as drbook prints its input issues. */
export interface SandboxInputPlace {
  file: string;
  path?: string;
  message: string;
}

/** Bad input: an option, a flag value, a file the sandbox was asked to read. */
export class SandboxInputError extends SandboxError {
  constructor(problem: string | [SandboxInputPlace], hint?: string) {
    const message = typeof problem === 'string' ? problem : `${problem[0].file}: ${problem[0].path ? `${problem[0].path}: ` : ''}${problem[0].message}`;
    super('input', message, { hint });
    this.name = 'SandboxInputError';
  }
}

/** A message fit for an operator, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof SandboxError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
