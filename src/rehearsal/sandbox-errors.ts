// The sandbox package raises its own SandboxError (it knows nothing of drbook's error
// tree); where drbook calls it — `drbook sandbox`, rehearse, demo — the error becomes the
// DrbookError the CLI prints and maps to an exit code (input: 2, others: 1), with the
// same message, node and hint.

import { SandboxError } from '@drbook/sandbox';
import { DrbookError, InputError } from '../core/errors.js';

export function asDrbookError(error: unknown): unknown {
  if (!(error instanceof SandboxError)) return error;
  if (error.kind === 'input') return new InputError(error.message, error.hint);
  return new DrbookError(error.kind, error.message, { host: error.host, hint: error.hint, cause: error.cause ?? error });
}

/** For `.catch(rethrowAsDrbookError)` on a call into the sandbox. */
export function rethrowAsDrbookError(error: unknown): never {
  throw asDrbookError(error);
}
