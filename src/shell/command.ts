// Commands are values (pyinfra's StringCommand): the same object is shown in the
// plan, written to the journal and run. It is a list of parts; literal parts are the
// author's own text, argument parts are quoted when rendered, secret parts are masked
// when shown. The journal stores secrets by name, never by value.
//
// A secret never appears in the command line itself (the shell's own argv, readable
// by every user of the host in /proc/PID/cmdline): the script refers to it as
// "${DRBOOK_SECRET_<name>}" and the value travels in the environment (secretEnv()),
// which the transports hand over without any command line (see local.ts and
// ssh/remote-command.ts). The reference is always in double quotes, so the shell
// expands it to exactly one word, never split, never globbed, never parsed as code;
// and it is `${NAME?}`, so a script that lost its environment on the way (a wrapper
// that embedded toShell() as text and dropped secretEnv()) fails ("parameter not
// set") instead of running with an empty secret. Wrap a command by interpolating it
// (sh`... ${command}`): its parts, secrets included, stay parts.

import { quoteArg } from '@drbook/system';

export type CommandPart =
  | { t: 'lit'; v: string } //                       author's text, verbatim
  | { t: 'arg'; v: string } //                       a value: quoted
  // A secret value: an environment reference when run, masked on display. `argvOf`
  // names the program whose argv the value still reaches when the shell expands it
  // (not a builtin, not an assignment): the plan warns about it.
  | { t: 'secret'; name: string; v: string; argvOf?: string };

/** The journaled form: secrets are kept by name only. */
export type CommandRecord = Array<{ t: 'lit'; v: string } | { t: 'arg'; v: string } | { t: 'secret'; name: string }>;

export const MASK = '***';

/** A secret value, marked so it is masked wherever it is shown. */
export class Secret {
  constructor(
    readonly name: string,
    readonly value: string,
  ) {}
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
}

/** Opt-out of quoting: the author says this text is shell code. */
export class RawShell {
  constructor(readonly text: string) {}
}
export const raw = (text: string): RawShell => new RawShell(text);

type Interpolated = string | number | boolean | Secret | RawShell | ShellCommand | ReadonlyArray<string | number | Secret>;

export class ShellCommand {
  readonly parts: readonly CommandPart[];

  constructor(parts: readonly CommandPart[]) {
    this.parts = mergeLiterals(parts);
  }

  /** The script to execute: every value quoted, every secret an environment reference (see secretEnv()). */
  toShell(): string {
    return this.parts.map((p) => (p.t === 'lit' ? p.v : p.t === 'secret' ? secretReference(p.name) : quoteArg(p.v))).join('');
  }

  /** The environment the script needs: the value of each secret it refers to. */
  secretEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const part of this.parts) {
      if (part.t !== 'secret') continue;
      const name = secretVariable(part.name);
      if (Object.hasOwn(env, name) && env[name] !== part.v) throw new Error(`internal: secret "${part.name}" has two different values in one command`);
      env[name] = part.v;
    }
    return env;
  }

  /**
   * The same command with every secret value that sits inside an argument (a secret
   * param that reached an action's `with:` as a plain value, e.g. in a path) turned
   * into a secret part of its own, by param name: the argument is cut around it into
   * pieces that the shell still reads as ONE word (`/tmp/"${DRBOOK_SECRET_token?}"-src`),
   * so the value travels in the environment, is masked when shown, and is journaled by
   * name, so an undo can be rebuilt with it.
   */
  withSecrets(secrets: Readonly<Record<string, string>>): ShellCommand {
    const known = Object.entries(secrets)
      .filter(([, value]) => value !== '')
      .sort((a, b) => b[1].length - a[1].length);
    if (known.length === 0 || !this.parts.some((p) => p.t === 'arg' && known.some(([, value]) => p.v.includes(value)))) return this;
    return new ShellCommand(this.parts.flatMap((p) => (p.t === 'arg' ? splitAtSecrets(p.v, known) : [p])));
  }

  /** Secrets that still reach a program's argv when the shell runs the script: which secret, which program. */
  get secretsInArgv(): Array<{ name: string; program: string }> {
    const seen = new Set<string>();
    return this.parts.flatMap((p) => {
      if (p.t !== 'secret' || p.argvOf === undefined || seen.has(`${p.name}\0${p.argvOf}`)) return [];
      seen.add(`${p.name}\0${p.argvOf}`);
      return [{ name: p.name, program: p.argvOf }];
    });
  }

  /** The command line to show anywhere: plan, output, journal, report. */
  toDisplay(): string {
    return this.parts.map((p) => (p.t === 'lit' ? p.v : p.t === 'secret' ? MASK : quoteArg(p.v))).join('');
  }

  get secrets(): string[] {
    return this.parts.flatMap((p) => (p.t === 'secret' ? [p.v] : []));
  }

  toRecord(): CommandRecord {
    return this.parts.map((p) => (p.t === 'secret' ? { t: 'secret', name: p.name } : { t: p.t, v: p.v }));
  }

  /** Rebuild from the journal; secret values are looked up again by name (they are never journaled). */
  static fromRecord(record: CommandRecord, secrets: Record<string, string> = {}): ShellCommand {
    return new ShellCommand(
      record.map((p) => {
        if (p.t !== 'secret') return p;
        const value = secrets[p.name];
        if (value === undefined) throw new Error(`secret "${p.name}" is needed to rebuild this command; pass it again with -p ${p.name}=...`);
        return { t: 'secret', name: p.name, v: value };
      }),
    );
  }

  /** Join commands with a shell operator, e.g. `&&`. */
  static join(commands: ShellCommand[], operator = ' && '): ShellCommand {
    const parts: CommandPart[] = [];
    commands.forEach((c, i) => {
      if (i > 0) parts.push({ t: 'lit', v: operator });
      parts.push(...c.parts);
    });
    return new ShellCommand(parts);
  }

  toString(): string {
    return this.toDisplay();
  }
}

/**
 * Tagged template for commands written in code: `sh\`mv -- ${from} ${to}\``.
 * Interpolated strings are quoted; arrays become several quoted words; a
 * ShellCommand is inlined as is; raw() opts out of quoting.
 */
export function sh(strings: TemplateStringsArray, ...values: Interpolated[]): ShellCommand {
  const parts: CommandPart[] = [];
  strings.forEach((text, i) => {
    if (text) parts.push({ t: 'lit', v: text });
    if (i < values.length) parts.push(...toParts(values[i]!));
  });
  return new ShellCommand(parts);
}

function toParts(value: Interpolated): CommandPart[] {
  if (value instanceof ShellCommand) return [...value.parts];
  if (value instanceof RawShell) return [{ t: 'lit', v: value.text }];
  if (value instanceof Secret) return [{ t: 'secret', name: value.name, v: value.value }];
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => [...(i > 0 ? [{ t: 'lit' as const, v: ' ' }] : []), ...toParts(v as Interpolated)]);
  }
  return [{ t: 'arg', v: String(value) }];
}

/** An argument's value as argument and secret parts, cut at each secret it holds (the first, the longest, wins). */
function splitAtSecrets(value: string, secrets: ReadonlyArray<[string, string]>): CommandPart[] {
  const parts: CommandPart[] = [];
  let rest = value;
  for (;;) {
    let found: { at: number; name: string; secret: string } | undefined;
    for (const [name, secret] of secrets) {
      const at = rest.indexOf(secret);
      if (at >= 0 && (!found || at < found.at)) found = { at, name, secret };
    }
    if (!found) break;
    if (found.at > 0) parts.push({ t: 'arg', v: rest.slice(0, found.at) });
    parts.push({ t: 'secret', name: found.name, v: found.secret });
    rest = rest.slice(found.at + found.secret.length);
  }
  if (rest !== '' || parts.length === 0) parts.push({ t: 'arg', v: rest });
  return parts;
}

/** How a script refers to a secret: quoted, and an error when the variable is not set. */
export function secretReference(name: string): string {
  return `"\${${secretVariable(name)}?}"`;
}

/** The environment variable that carries a secret into a command: DRBOOK_SECRET_<name>. */
export function secretVariable(name: string): string {
  return /^[A-Za-z0-9_]+$/.test(name) ? `DRBOOK_SECRET_${name}` : `DRBOOK_SECRET_X${Buffer.from(name, 'utf8').toString('hex')}`;
}

function mergeLiterals(parts: readonly CommandPart[]): CommandPart[] {
  const out: CommandPart[] = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (part.t === 'lit' && last?.t === 'lit') out[out.length - 1] = { t: 'lit', v: last.v + part.v };
    else if (!(part.t === 'lit' && part.v === '')) out.push(part);
  }
  return out;
}
