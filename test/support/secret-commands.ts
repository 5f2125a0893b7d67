// Commands that use a secret in every shell context the template renderer handles (bare,
// inside '...', inside "..."), with builtins, an exported variable read by a child shell
// and a pipeline, and that run long enough (about 1 s) for /proc to be sampled. Shared
// by the local and SSH tests of "no secret in any command line".

import { createHash, randomBytes } from 'node:crypto';
import { renderCommand, type TemplateScope } from '../../src/runbook/template.js';
import type { ShellCommand } from '../../src/shell/command.js';

export function newSecret(): string {
  // Spaces and quotes too: the value must come back byte-exact.
  return `tok-${randomBytes(12).toString('hex')} it's "q" ${randomBytes(6).toString('hex')}`;
}

export function scopeWith(params: Record<string, string>, secret: string[]): TemplateScope {
  return {
    params,
    secretParams: new Set(secret),
    host: { name: 'h1', address: '127.0.0.1', vars: {} },
    run: { id: 'run-test', startedAt: '2024-01-01T00:00:00.000Z' },
  };
}

const TEMPLATE = [
  "printf '%s' {{ params.token }} >/dev/null",
  "X='a{{ params.token }}b'",
  'Y="c{{ params.token }}d"',
  'export X Y',
  'sleep 0.3',
  `sh -c 'sleep 0.3; printf "%s" "$X" >/dev/null'`,
  'Z=$(printf %s {{ params.token }} | tr a-z A-Z)',
  'sleep 0.3',
  'printf \'%s|%s|%s|%s\' {{ params.token }} "$X" "$Y" "$Z" | sha256sum',
].join('\n');

/** The command, and the sha256sum line it must print when every value arrived intact. */
export function secretUsingCommand(secret: string): { command: ShellCommand; expected: string } {
  const command = renderCommand(TEMPLATE, scopeWith({ token: secret }, ['token']));
  const text = `${secret}|a${secret}b|c${secret}d|${secret.toUpperCase()}`;
  return { command, expected: `${createHash('sha256').update(text).digest('hex')}  -\n` };
}

/** A value that is NOT secret sits in the script, i.e. in the shell's argv: the sampler must see it. */
export function argvControlCommand(value: string): ShellCommand {
  return renderCommand('sleep 0.5; : {{ params.visible }}', scopeWith({ visible: value }, []));
}
