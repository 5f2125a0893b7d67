// The command line sent over an exec channel. sshd hands it to the user's login shell,
// so the real command travels as ONE quoted argument of `sh -c`. It runs under
// `setsid` in a process group of its own, which first reports its id on stderr in a
// marker line (stripped before anyone sees stderr): closing a channel does not stop
// the remote process, so a timeout or an abort kills that whole group through a second
// channel instead.
//
// The environment (secrets above all) is never part of that command line: every
// process's argv is readable by every user of the host (/proc/PID/cmdline). It is sent
// as a preamble on the channel's stdin, ahead of the command's own input, and read by
// the wrapper with shell builtins only (read, printf, export: no program is started,
// so the values appear in no argv), after sudo, which would reset the environment.

import { InputError } from '../../core/errors.js';
import { quoteArg } from '@drbook/system';

export interface RemoteCommandOptions {
  /** Shell code, e.g. ShellCommand.toShell(). */
  script: string;
  /** Unique per call: the marker line cannot be forged by the command's own output. */
  nonce: string;
  become: boolean;
  env?: Record<string, string>;
}

export interface RemoteCommand {
  /** The exec request's command line: no value of `env` in it. */
  command: string;
  /** To be written to the channel's stdin before anything else (absent without env). */
  preamble?: Buffer;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The line that ends the preamble; no `NAME=...` line can be it. */
const PREAMBLE_END = '.';

export function markerPrefix(nonce: string): string {
  return `DRBOOK_PGID_${nonce}=`;
}

export function buildExecCommand(options: RemoteCommandOptions): RemoteCommand {
  const env = Object.entries(options.env ?? {});
  for (const [name] of env) {
    if (!ENV_NAME.test(name)) throw new InputError([{ path: `env.${name}`, message: 'expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)' }]);
  }
  // $$ of the shell setsid starts is the id of the new process group (and session).
  const marker = `printf '%s%s\\n' ${quoteArg(markerPrefix(options.nonce))} "$$" >&2; `;
  const inner = `${marker}${env.length > 0 ? READ_PREAMBLE : ''}exec sh -c ${quoteArg(options.script)}`;
  const command = `exec ${sudoPrefix(options.become)}setsid -w sh -c ${quoteArg(inner)}`;
  if (env.length === 0) return { command };
  const lines = env.map(([name, value]) => `${name}=${escapeForPrintfB(value)}\n`);
  return { command, preamble: Buffer.from(`${lines.join('')}${PREAMBLE_END}\n`) };
}

// One `NAME=escaped` line per variable, until the end line. `$( )` strips trailing
// newlines, hence the `x` appended and removed. Builtins only (see the top).
const READ_PREAMBLE =
  `while IFS= read -r __drbook_l && [ "$__drbook_l" != ${PREAMBLE_END} ]; do ` +
  `__drbook_v=$(printf '%bx' "\${__drbook_l#*=}"); export "\${__drbook_l%%=*}=\${__drbook_v%x}"; ` +
  'done; unset __drbook_l __drbook_v; ';

/**
 * Every byte outside a small safe set as a `\0ooo` escape of printf's %b: the line
 * holds no backslash, newline or quote of the value itself, whatever the value is.
 */
export function escapeForPrintfB(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.,:@+=/-]/.test(c) ? c : `\\0${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/**
 * TERM the group, wait up to `graceMs` for every live member to go (zombies are not
 * counted: a container's init may never reap them), then KILL what is left.
 */
export function buildKillCommand(pgid: number, become: boolean, graceMs: number): string {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`refusing to kill process group ${pgid}`);
  const rounds = Math.max(1, Math.ceil(graceMs / 100));
  const script = [
    `kill -TERM -${pgid} 2>/dev/null || exit 0`,
    'alive() {',
    '  if command -v ps >/dev/null 2>&1; then',
    `    ps -eo pgid=,stat= | awk -v g=${pgid} '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'`,
    `  else kill -0 -${pgid} 2>/dev/null; fi`,
    '}',
    'i=0',
    `while [ "$i" -lt ${rounds} ]; do sleep 0.1; alive || exit 0; i=$((i + 1)); done`,
    'echo KILL', // tells the caller which signal ended the group
    `kill -KILL -${pgid} 2>/dev/null`,
    'exit 0',
  ].join('\n');
  return `exec ${sudoPrefix(become)}sh -c ${quoteArg(script)}`;
}

function sudoPrefix(become: boolean): string {
  return become ? 'sudo -n -- ' : '';
}

/** sudo -n refused because it would have to ask for a password (or for a terminal). */
export function isSudoPasswordFailure(stderr: string): boolean {
  return /^sudo: (a password is required|a terminal is required|.*password.*required)/im.test(stderr);
}

/**
 * Takes stderr as it arrives, finds the marker line, remembers the process group id
 * and passes every other byte on. Output held while looking is bounded.
 */
export class MarkerFilter {
  pgid: number | undefined;
  private searching = true;
  private pending = Buffer.alloc(0);
  private readonly pattern: RegExp;

  constructor(
    nonce: string,
    private readonly emit: (chunk: Buffer) => void,
    private readonly onPgid: (pgid: number) => void,
  ) {
    this.pattern = new RegExp(`${markerPrefix(nonce)}(\\d+)\\n`);
  }

  get found(): boolean {
    return this.pgid !== undefined;
  }

  push(chunk: Buffer): void {
    if (!this.searching) return this.emit(chunk);
    this.pending = Buffer.concat([this.pending, chunk]);
    const text = this.pending.toString('latin1'); // byte offsets stay byte offsets
    const match = this.pattern.exec(text);
    if (match) {
      this.searching = false;
      const before = this.pending.subarray(0, match.index);
      const after = this.pending.subarray(match.index + match[0].length);
      this.pending = Buffer.alloc(0);
      this.pgid = Number(match[1]);
      this.onPgid(this.pgid);
      if (before.length) this.emit(before);
      if (after.length) this.emit(after);
    } else if (this.pending.length > 64 * 1024) {
      this.end(); // no marker in sight: whatever ran is not our wrapper; pass it all on
    }
  }

  /** No more stderr: pass on anything held. */
  end(): void {
    this.searching = false;
    if (this.pending.length) this.emit(this.pending);
    this.pending = Buffer.alloc(0);
  }
}
