// The user's ssh_config, evaluated for one host alias the way OpenSSH does: lines are
// read in order, `Host` (and `Match all|host|originalhost`) switch which lines apply,
// and for each keyword the FIRST value obtained wins — except IdentityFile, which
// accumulates. `Include` is followed (relative to the including file's directory,
// wildcards in the last path component). Tokens like %h and ~ are expanded later by
// expandTokens(), once the final host, port and user are known.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, basename } from 'node:path';
import { InputError } from '../../core/errors.js';
import { matchPattern, matchPatternList } from './patterns.js';

export interface SshConfigValues {
  hostName?: string;
  port?: number;
  user?: string;
  identityFiles: string[];
  identitiesOnly?: boolean;
  proxyJump?: string;
  userKnownHostsFiles?: string[];
  strictHostKeyChecking?: string;
  connectTimeoutSec?: number;
  serverAliveIntervalSec?: number;
  serverAliveCountMax?: number;
}

type ReadText = (path: string) => string | undefined;

const readTextFile: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/** The options that apply to `alias` in `file` (a missing file applies none). */
export function resolveSshConfig(file: string, alias: string, read: ReadText = readTextFile): SshConfigValues {
  const values: SshConfigValues = { identityFiles: [] };
  const state = { alias, values, read, baseDir: dirname(file) };
  processFile(state, file, true, 0);
  if (values.hostName) values.hostName = values.hostName.replace(/%(%|h)/g, (_, t: string) => (t === '%' ? '%' : alias));
  return values;
}

interface EvalState {
  alias: string;
  values: SshConfigValues;
  read: ReadText;
  baseDir: string;
}

function processFile(state: EvalState, file: string, initiallyActive: boolean, depth: number): void {
  if (depth > 16) throw new InputError([{ file, message: 'Include nested more than 16 levels deep (a loop?)' }]);
  const text = state.read(file);
  if (text === undefined) return;
  let active = initiallyActive;
  text.split('\n').forEach((raw, index) => {
    const words = splitLine(raw, file, index + 1);
    if (words.length === 0) return;
    const keyword = words[0]!.toLowerCase();
    const args = words.slice(1);
    const where = { file, line: index + 1, col: 1 };
    if (keyword === 'host') {
      active = matchPatternList(args, state.alias);
    } else if (keyword === 'match') {
      active = evaluateMatch(args, state);
    } else if (keyword === 'include') {
      if (!active) return;
      for (const pattern of args) {
        for (const included of expandInclude(pattern, state.baseDir)) processFile(state, included, active, depth + 1);
      }
    } else if (active) {
      applyOption(state.values, keyword, args, where);
    }
  });
}

// Only the criteria that need nothing but the alias; any other criterion makes the block not apply.
function evaluateMatch(args: string[], state: EvalState): boolean {
  let result = true;
  for (let i = 0; i < args.length; i++) {
    const criterion = args[i]!.toLowerCase();
    if (criterion === 'all') continue;
    const list = args[++i]?.split(',') ?? [];
    if (criterion === 'host') result &&= matchPatternList(list, state.values.hostName ?? state.alias);
    else if (criterion === 'originalhost') result &&= matchPatternList(list, state.alias);
    else return false;
  }
  return result;
}

function applyOption(values: SshConfigValues, keyword: string, args: string[], where: { file: string; line: number; col: number }): void {
  const first = args[0];
  if (first === undefined) return;
  const number = (what: string): number => {
    const n = Number(first);
    if (!Number.isInteger(n) || n < 0) throw new InputError([{ ...where, path: keyword, message: `expected ${what}, got "${first}"` }]);
    return n;
  };
  switch (keyword) {
    case 'hostname':
      values.hostName ??= first;
      break;
    case 'port':
      values.port ??= number('a port number');
      break;
    case 'user':
      values.user ??= first;
      break;
    case 'identityfile':
      if (first.toLowerCase() !== 'none') values.identityFiles.push(first);
      break;
    case 'identitiesonly':
      values.identitiesOnly ??= first.toLowerCase() === 'yes';
      break;
    case 'proxyjump':
      values.proxyJump ??= first;
      break;
    case 'userknownhostsfile':
      values.userKnownHostsFiles ??= args.filter((a) => a.toLowerCase() !== 'none');
      break;
    case 'stricthostkeychecking':
      values.strictHostKeyChecking ??= first.toLowerCase();
      break;
    case 'connecttimeout':
      values.connectTimeoutSec ??= number('a number of seconds');
      break;
    case 'serveraliveinterval':
      values.serverAliveIntervalSec ??= number('a number of seconds');
      break;
    case 'serveralivecountmax':
      values.serverAliveCountMax ??= number('a count');
      break;
    default:
      // Every other keyword is OpenSSH's business, not ours.
      break;
  }
}

/** Words of one line: `Key value`, `Key=value`, double quotes group words, `#` starts a comment line. */
function splitLine(raw: string, file: string, line: number): string[] {
  const text = raw.trim();
  if (text === '' || text.startsWith('#')) return [];
  const eq = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(text);
  const [keyword, rest] = eq ? [eq[1]!, eq[2]!] : [text.split(/\s/, 1)[0]!, text.slice(text.split(/\s/, 1)[0]!.length)];
  const words = [keyword];
  const re = /\s*(?:"([^"]*)"|(\S+))/g;
  let match: RegExpExecArray | null;
  const body = rest.trim();
  if (body.split('"').length % 2 === 0) throw new InputError([{ file, line, col: 1, message: 'unbalanced double quote' }]);
  while ((match = re.exec(body)) !== null) words.push(match[1] ?? match[2]!);
  return words;
}

function expandInclude(pattern: string, baseDir: string): string[] {
  const expanded = pattern.startsWith('~/') ? join(process.env.HOME ?? '', pattern.slice(2)) : pattern;
  const path = isAbsolute(expanded) ? expanded : join(baseDir, expanded);
  const last = basename(path);
  if (!/[*?]/.test(last)) return [path];
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  return names
    .filter((n) => matchPattern(last, n))
    .sort()
    .map((n) => join(dirname(path), n));
}

export interface TokenContext {
  home: string;
  localUser: string;
  /** The alias as given (%n). */
  alias: string;
  /** The host name connected to (%h). */
  host: string;
  port: number;
  /** The remote user (%r). */
  user: string;
}

/** ~, ${ENV} and the % tokens OpenSSH expands in IdentityFile and UserKnownHostsFile. */
export function expandTokens(value: string, ctx: TokenContext, env: NodeJS.ProcessEnv = process.env): string {
  let out = value === '~' ? ctx.home : value.startsWith('~/') ? join(ctx.home, value.slice(2)) : value;
  out = out.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? '');
  return out.replace(/%([%dhnpru])/g, (_, token: string) => {
    switch (token) {
      case '%':
        return '%';
      case 'd':
        return ctx.home;
      case 'h':
        return ctx.host;
      case 'n':
        return ctx.alias;
      case 'p':
        return String(ctx.port);
      case 'r':
        return ctx.user;
      default:
        return ctx.localUser; // %u
    }
  });
}
