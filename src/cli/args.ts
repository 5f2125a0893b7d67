// Flags are parsed with node's own util.parseArgs (strict: an unknown flag is an
// error, exit 2, with a "did you mean" when one is close). Each command declares its
// options, positionals, file arguments and help text in one place, its CommandSpec;
// the command table (command-table.ts) parses with it before the body runs, so a
// body receives parsed, counted arguments and never sees argv.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../core/errors.js';
import { closestName } from '../input/suggest.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** A path given as an argument that must be an existing file: checked before the body runs. */
export interface FileArgument {
  /** A positional's index, or an option's long name. */
  at: number | string;
  /** What the file should be, for the message: "a runbook (YAML, kind: Runbook)". */
  what: string;
}

export interface CommandSpec {
  /** As typed after `drbook`: "run", "sandbox up". */
  name: string;
  usage: string;
  summary: string;
  /** Free text after the usage: what it does, examples. */
  details?: string;
  options: OptionSpec;
  /** One line per option, in the order shown in --help. */
  optionHelp: Array<[flag: string, text: string]>;
  /** How many positionals the command takes (default none). */
  positionals?: [min: number, max: number];
  files?: FileArgument[];
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parse argv for a command (strict), and count its positionals; --help is handled by the caller through `wantsHelp`. */
export function parseCommandArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  let parsed: ParsedArgs;
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...spec.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    parsed = { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new InputError(`drbook ${spec.name}: ${message}${suggestOption(spec, message)}`, `see \`drbook ${spec.name} --help\``);
  }
  const [min, max] = spec.positionals ?? [0, 0];
  requirePositionals(spec, parsed.positionals, min, max);
  return parsed;
}

/** " (did you mean `--yes`?)" for an unknown long option close to a known one. */
function suggestOption(spec: CommandSpec, message: string): string {
  const unknown = /^Unknown option '--([^'=]+)/.exec(message)?.[1];
  if (unknown === undefined) return '';
  const close = closestName(unknown, [...Object.keys(spec.options), 'help']);
  return close ? ` (did you mean \`--${close}\`?)` : '';
}

export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

export function formatHelp(spec: CommandSpec): string {
  const width = Math.max(...spec.optionHelp.map(([flag]) => flag.length), 10);
  const options = [...spec.optionHelp, ['-h, --help', 'Show this help.'] as [string, string]]
    .map(([flag, text]) => `  ${flag.padEnd(width + 2)}${text.replace(/\n/g, `\n  ${' '.repeat(width + 2)}`)}`)
    .join('\n');
  return `${spec.summary}\n\nUsage: ${spec.usage}\n${spec.details ? `\n${spec.details.trim()}\n` : ''}\nOptions:\n${options}\n`;
}

export function stringOption(values: ParsedArgs['values'], name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(values: ParsedArgs['values'], name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

export function requirePositionals(spec: CommandSpec, positionals: string[], min: number, max = min): void {
  if (positionals.length < min) throw new InputError(`drbook ${spec.name}: missing argument`, `usage: ${spec.usage}`);
  if (positionals.length > max) throw new InputError(`drbook ${spec.name}: unexpected argument "${positionals[max]}"`, `usage: ${spec.usage}`);
}

export function choiceOption<T extends string>(values: ParsedArgs['values'], name: string, choices: readonly T[], fallback: T): T {
  const value = stringOption(values, name) ?? fallback;
  if (!choices.includes(value as T)) throw new InputError(`--${name} must be one of ${choices.join(', ')} (got "${value}")`);
  return value as T;
}
