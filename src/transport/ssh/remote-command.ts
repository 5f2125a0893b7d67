// The command line sent over an exec channel. sshd hands it to the user's login shell,
// so the real command travels as ONE quoted argument of `sh -c`. It runs under
// `setsid` in a process group of its own, which first reports its id on stderr in a
// marker line (stripped before anyone sees stderr): closing a channel does not stop
// the remote process, so a timeout or an abort kills that whole group through a second
// channel instead.

import { InputError } from '../../errors.js';
import { quoteArg } from '../../shell/quote.js';

export interface RemoteCommandOptions {
  /** Shell code, e.g. ShellCommand.toShell(). */
  script: string;
  /** Unique per call: the marker line cannot be forged by the command's own output. */
  nonce: string;
  become: boolean;
  env?: Record<string, string>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function markerPrefix(nonce: string): string {
  return `DRBOOK_PGID_${nonce}=`;
}

export function buildExecCommand(options: RemoteCommandOptions): string {
  const exports = Object.entries(options.env ?? {}).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new InputError([{ path: `env.${name}`, message: 'expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)' }]);
    return `export ${name}=${quoteArg(value)}; `;
  });
  // $$ of the shell setsid starts is the id of the new process group (and session).
  const inner = `printf '%s%s\\n' ${quoteArg(markerPrefix(options.nonce))} "$$" >&2; ${exports.join('')}exec sh -c ${quoteArg(options.script)}`;
  return `exec ${sudoPrefix(options.become)}setsid -w sh -c ${quoteArg(inner)}`;
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
