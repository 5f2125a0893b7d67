// argv → the command table → a body. One path for every command and subcommand: help,
// "did you mean" for unknown commands (and, in args.ts, unknown flags), option parsing,
// positional counts, file arguments, and the one error path (exit-codes.ts).

import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import { hintFor } from '../input/suggest.js';
import { formatHelp, parseCommandArgs, wantsHelp } from './args.js';
import { DRBOOK, isGroup, type CommandGroup } from './command-table.js';
import { reportError, USAGE_EXIT } from './exit-codes.js';
import { checkFileArguments } from './file-args.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const PROCESS_IO: CliIo = { out: (text) => void process.stdout.write(text), err: (text) => void process.stderr.write(text) };

/** Run one command line; resolves to its exit code (every error already reported). */
export async function runCli(argv: string[], root: CommandGroup = DRBOOK, io: CliIo = PROCESS_IO): Promise<number> {
  try {
    return await dispatchIn(root, ['drbook'], argv, io);
  } catch (error) {
    return reportError(error, io.err);
  }
}

async function dispatchIn(group: CommandGroup, path: string[], argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const here = path.join(' ');
  if (name === undefined) {
    // A usage error: the list of commands goes where errors go.
    io.err(groupHelp(group, path));
    return USAGE_EXIT;
  }
  if (name === 'help' && rest.length > 0) return dispatchIn(group, path, [...rest, '--help'], io);
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(groupHelp(group, path));
    return 0;
  }
  if (path.length === 1 && (name === '--version' || name === '-V')) {
    io.out(`${version()}\n`);
    return 0;
  }
  const names = Object.keys(group.subcommands);
  if (name.startsWith('-')) {
    throw new InputError(`${here}: ${name} before a command; the options come after it (${here} <command> [options])`, `see \`${here} --help\``);
  }
  const entry = group.subcommands[name];
  if (!entry) throw new InputError(`${here}: unknown command "${name}"${hintFor(name, names)}`, `see \`${here} --help\``);
  if (isGroup(entry)) return dispatchIn(entry, [...path, name], rest, io);
  const command = await entry.load();
  if (wantsHelp(rest)) {
    io.out(formatHelp(command.spec));
    return 0;
  }
  const args = parseCommandArgs(command.spec, rest);
  await checkFileArguments(command.spec, args);
  return command.run(args);
}

export function groupHelp(group: CommandGroup, path: string[]): string {
  const here = path.join(' ');
  const entries = Object.entries(group.subcommands);
  const width = Math.max(...entries.map(([n]) => n.length));
  const list = entries.map(([n, c]) => `  ${n.padEnd(width + 2)}${c.summary}`).join('\n');
  const head = path.length === 1 ? `drbook ${version()} — ${group.about}` : group.about;
  return `${head}\n\nUsage: ${here} <command> [options]    (${here} <command> --help for each)\n\nCommands:\n${list}\n${group.footer ? `\n${group.footer}\n` : ''}`;
}

let cachedVersion: string | undefined;

function version(): string {
  cachedVersion ??= readVersion();
  return cachedVersion;
}

function readVersion(): string {
  try {
    // package.json beside dist/: read, not imported, so no JSON module support is needed.
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}
