// An etcd run by systemd (kubespray's etcd.service with /etc/etcd.env, Debian's etcd-server
// package with /etc/default/etcd): what the unit files say etcd is started with. Only
// the parts of systemd's syntax that decide etcd's settings are read: [Service] User=,
// Group=, Environment=, EnvironmentFile= and ExecStart=, in unit-file order with
// drop-ins after the main file (a later assignment wins; an empty one resets a list), the
// specifiers %H %n %N %p %i %%, and ExecStart's $VAR / ${VAR} expansion. Precedence as
// systemd applies it: EnvironmentFile= entries override Environment= ones, later files
// override earlier ones.

export interface UnitFragment {
  file: string;
  text: string;
}

export interface ServiceSettings {
  /** The unit files read, main file first. */
  files: string[];
  user?: string;
  group?: string;
  /** Environment= assignments in order (specifiers resolved), with the unit file that made each. */
  environment: Array<{ name: string; value: string; file: string }>;
  /** EnvironmentFile= paths; optional when written with a leading '-'. */
  environmentFiles: Array<{ path: string; optional: boolean }>;
  /** The ExecStart= command line as written (specifiers resolved, variables not yet expanded). */
  execStart?: string;
  /** The unit file the ExecStart= comes from. */
  execStartFile?: string;
  /** Problems that make the unit unreadable for drbook (an unknown specifier...). */
  problems: string[];
}

export interface SpecifierContext {
  /** Full unit name, e.g. "etcd.service". */
  unit: string;
  /** The host name (%H). */
  hostname?: string;
}

/** Read the [Service] settings of a unit and its drop-ins (fragments in the order systemd applies them). */
export function parseServiceUnit(fragments: UnitFragment[], context: SpecifierContext): ServiceSettings {
  const settings: ServiceSettings = { files: fragments.map((f) => f.file), environment: [], environmentFiles: [], problems: [] };
  for (const fragment of fragments) {
    let section = '';
    for (const { line, number } of logicalLines(fragment.text)) {
      const header = /^\[(.+)\]$/.exec(line);
      if (header) {
        section = header[1]!;
        continue;
      }
      const eq = line.indexOf('=');
      if (section !== 'Service' || eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const raw = line.slice(eq + 1).trim();
      const where = `${fragment.file}:${number}`;
      const value = resolveSpecifiers(raw, context, (problem) => settings.problems.push(`${where}: ${problem}`));
      switch (key) {
        case 'User':
          settings.user = value || undefined;
          break;
        case 'Group':
          settings.group = value || undefined;
          break;
        case 'Environment':
          if (value === '') settings.environment = [];
          else
            for (const word of splitWords(value)) {
              const at = word.indexOf('=');
              if (at > 0) settings.environment.push({ name: word.slice(0, at), value: word.slice(at + 1), file: fragment.file });
            }
          break;
        case 'EnvironmentFile':
          if (value === '') settings.environmentFiles = [];
          else settings.environmentFiles.push(value.startsWith('-') ? { path: value.slice(1), optional: true } : { path: value, optional: false });
          break;
        case 'ExecStart':
          settings.execStart = value || undefined;
          settings.execStartFile = value ? fragment.file : undefined;
          break;
      }
    }
  }
  return settings;
}

/** Lines with comments dropped and backslash continuations joined (1-based numbers of the first line). */
function logicalLines(text: string): Array<{ line: string; number: number }> {
  const out: Array<{ line: string; number: number }> = [];
  let pending: { line: string; number: number } | null = null;
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const trimmed = rawLine.trim();
    if (!pending && (trimmed.startsWith('#') || trimmed.startsWith(';'))) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1) : trimmed;
    pending = pending ? { line: `${pending.line} ${part}`, number: pending.number } : { line: part, number: i + 1 };
    if (!continued) {
      if (pending.line) out.push(pending);
      pending = null;
    }
  });
  if (pending) out.push(pending);
  return out;
}

function resolveSpecifiers(value: string, context: SpecifierContext, problem: (text: string) => void): string {
  const base = context.unit.replace(/\.[^.]+$/, '');
  const [prefix, instance = ''] = base.split('@') as [string, string?];
  return value.replace(/%(.)/g, (whole, letter: string) => {
    switch (letter) {
      case '%':
        return '%';
      case 'n':
        return context.unit;
      case 'N':
        return base;
      case 'p':
        return prefix;
      case 'i':
        return instance;
      case 'H':
        if (context.hostname) return context.hostname;
        problem('%H (the host name) is used but the host name is unknown');
        return whole;
      default:
        problem(`the systemd specifier ${whole} is not one drbook resolves (%H %n %N %p %i %%)`);
        return whole;
    }
  });
}

/** Words separated by blanks; double or single quotes group and are removed (systemd's rules, less escapes). */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < value.length) current += value[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** An EnvironmentFile= file: KEY=VALUE lines, '#'/';' comments, optional quotes; a later KEY wins. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { line } of logicalLines(text)) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2]!.trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) value = value.slice(1, -1);
    env[match[1]!] = value;
  }
  return env;
}

export interface ServiceEnvironment {
  env: Record<string, string>;
  /** Where each variable was last set: "the Environment= of <unit file>" or the environment file. */
  origin: Record<string, string>;
}

/** The environment etcd is started with: Environment= first, then each EnvironmentFile= over it. */
export function mergeServiceEnvironment(settings: ServiceSettings, files: Array<{ path: string; env: Record<string, string> }>): ServiceEnvironment {
  const env: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const entry of settings.environment) {
    env[entry.name] = entry.value;
    origin[entry.name] = `the Environment= of ${entry.file}`;
  }
  for (const file of files) {
    for (const [name, value] of Object.entries(file.env)) {
      env[name] = value;
      origin[name] = file.path;
    }
  }
  return { env, origin };
}

/**
 * ExecStart= as argv: the command prefixes (-@:+!) dropped, `$VAR` replaced by the
 * variable's words (an empty one vanishes), `${VAR}` by its value as one word.
 */
export function expandExecStart(execStart: string, env: Readonly<Record<string, string>>): string[] {
  const argv: string[] = [];
  for (const word of splitWords(execStart)) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) {
      argv.push(...splitWords(env[whole[1]!] ?? ''));
      continue;
    }
    argv.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? ''));
  }
  if (argv.length > 0) argv[0] = argv[0]!.replace(/^[-@:+!]+/, '');
  return argv;
}
