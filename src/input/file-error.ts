// Why a file cannot be read, in words: an operator reads "no such file", not "ENOENT".
// Used by both loaders and by the CLI's check of file arguments, so every path to a
// missing file says the same sentence.

import { errorMessage } from '../core/errors.js';

/** Why a file cannot be read, in words (never a bare "ENOENT"). */
export function describeFileError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'no such file (a part of the path is not a folder)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return errorMessage(error);
  }
}
