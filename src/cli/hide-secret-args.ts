// A secret given as `-p NAME=VALUE` sits in drbook's own command line, which every
// user of the operator's machine can read (/proc/PID/cmdline). As soon as drbook knows
// which params are secret, it rewrites its process title (which on Linux is that same
// memory) with the values masked, and says that DRBOOK_PARAM_<NAME> avoids the moment
// before and the shell history.

import { MASK } from '../shell/command.js';
import { secretEnvName } from '../runbook/params.js';

/** The argv with the values of secret `-p`/`--param` flags masked, and the names found. */
export function maskSecretArgs(argv: readonly string[], secretNames: ReadonlySet<string>): { argv: string[]; hidden: string[] } {
  const hidden: string[] = [];
  const maskPair = (pair: string): string => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? '' : pair.slice(0, eq).trim();
    if (!secretNames.has(name)) return pair;
    if (!hidden.includes(name)) hidden.push(name);
    return `${pair.slice(0, eq)}=${MASK}`;
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if ((arg === '-p' || arg === '--param') && i + 1 < argv.length) {
      out.push(arg, maskPair(argv[++i]!));
    } else if (arg.startsWith('--param=')) {
      out.push(`--param=${maskPair(arg.slice('--param='.length))}`);
    } else if (arg.startsWith('-p') && arg.length > 2 && !arg.startsWith('--')) {
      out.push(`-p${maskPair(arg.slice(2))}`);
    } else {
      out.push(arg);
    }
  }
  return { argv: out, hidden };
}

/** Mask secret `-p` values in this process's command line; returns a warning to show, if any were there. */
export function hideSecretArgs(secretNames: Iterable<string>): string | undefined {
  const { argv, hidden } = maskSecretArgs(process.argv, new Set(secretNames));
  if (hidden.length === 0) return undefined;
  process.title = argv.join(' ');
  const envs = hidden.map(secretEnvName).join(', ');
  return `secret ${hidden.map((n) => `\`${n}\``).join(', ')} given with -p: drbook hid it from its command line, but every user of this machine could read it there for a moment, and your shell history keeps it; ${envs} keeps it out of both`;
}
