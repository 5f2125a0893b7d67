// A file named on the command line that is not there gets a sentence naming the flag,
// the path and what the file should be — before any command body runs, so nothing
// starts (no sandbox, no connection) for a typo in a path, and no raw ENOENT reaches
// the operator.

import { stat } from 'node:fs/promises';
import { InputError, type InputIssue } from '../core/errors.js';
import { describeFileError } from '../input/file-error.js';
import type { CommandSpec, ParsedArgs } from './args.js';

export async function checkFileArguments(spec: CommandSpec, args: ParsedArgs): Promise<void> {
  const issues: InputIssue[] = [];
  for (const file of spec.files ?? []) {
    const { label, paths } = argumentOf(spec, args, file.at);
    for (const path of paths) {
      const problem = await fileProblem(path);
      if (problem) issues.push({ message: `${label} ${path}: ${problem}; expected ${file.what}` });
    }
  }
  if (issues.length > 0) throw new InputError(issues, `usage: ${spec.usage}`);
}

function argumentOf(spec: CommandSpec, args: ParsedArgs, at: number | string): { label: string; paths: string[] } {
  if (typeof at === 'number') {
    const path = args.positionals[at];
    // "RUNBOOK" from "drbook run RUNBOOK [-i ...]": the usage names the argument.
    const label =
      spec.usage
        .replace(/^drbook\s+/, '')
        .split(/\s+/)
        .filter((w) => /^[A-Z_]+$/.test(w))[at] ?? 'argument';
    return { label, paths: path === undefined ? [] : [path] };
  }
  const value = args.values[at];
  const paths = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  const short = spec.options[at]?.short;
  return { label: short ? `-${short}/--${at}` : `--${at}`, paths };
}

/** What is wrong with `path` as a file to read, in words; undefined when it is a file. */
export async function fileProblem(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? 'is a folder, not a file' : undefined;
  } catch (error) {
    return describeFileError(error);
  }
}
