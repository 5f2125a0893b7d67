// Runbook parameters for one host. Precedence, highest first:
//   1. `-p NAME=VALUE` on the command line;
//   2. for a secret param only, the environment variable DRBOOK_PARAM_<NAME> (NAME
//      upper-cased), so a password need not appear in shell history or `ps`;
//   3. the host's vars (host.vars[NAME], after defaults < groups < host merging);
//   4. the runbook's default.
// Strings are coerced to the declared type; every problem is an InputError naming the
// param and what was expected. A secret too short to be masked is refused (masker.ts).

import { InputError, type InputIssue } from '../core/errors.js';
import type { Host } from '../core/inventory.js';
import { unmaskableSecretReason } from '../shell/masker.js';
import type { ParamSpec, ParamValue, Runbook } from './types.js';
import { hintFor } from '../input/suggest.js';

const TRUE = new Set(['true', 'yes', '1', 'on']);
const FALSE = new Set(['false', 'no', '0', 'off']);

/** `-p name=value` flags (the value may itself contain `=`). */
export function parseParamFlags(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const issues: InputIssue[] = [];
  for (const flag of list) {
    const eq = flag.indexOf('=');
    const name = eq < 0 ? flag : flag.slice(0, eq).trim();
    if (eq < 0 || name === '') {
      issues.push({ message: `-p ${flag}: expected NAME=VALUE` });
      continue;
    }
    if (Object.hasOwn(out, name)) issues.push({ message: `-p ${name} is given twice` });
    out[name] = flag.slice(eq + 1);
  }
  if (issues.length > 0) throw new InputError(issues);
  return out;
}

/** The environment variable that may carry a secret param: DRBOOK_PARAM_<NAME>, upper-cased. */
export function secretEnvName(name: string): string {
  return `DRBOOK_PARAM_${name.toUpperCase()}`;
}

/** A secret param's value from the environment, if set (see the precedence above). */
export function loadSecretFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[secretEnvName(name)];
}

/** Coerce a value to a param's type; returns what was expected on failure. */
export function coerceParam(spec: ParamSpec, value: unknown): { value: ParamValue } | { expected: string } {
  switch (spec.type) {
    case 'number': {
      if (typeof value === 'number' && Number.isFinite(value)) return { value };
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      return Number.isFinite(n) ? { value: n } : { expected: 'a number' };
    }
    case 'boolean': {
      if (typeof value === 'boolean') return { value };
      const text = typeof value === 'string' ? value.trim().toLowerCase() : typeof value === 'number' ? String(value) : '';
      if (TRUE.has(text)) return { value: true };
      if (FALSE.has(text)) return { value: false };
      return { expected: 'a boolean: true/false, yes/no, 1/0' };
    }
    case 'path':
      return typeof value === 'string' && value.trim() !== '' ? { value } : { expected: 'a non-empty path' };
    case 'string':
      if (typeof value === 'string') return { value };
      return typeof value === 'number' || typeof value === 'boolean' ? { value: String(value) } : { expected: 'a string' };
  }
}

function show(value: unknown, secret: boolean): string {
  return secret ? '(secret value hidden)' : JSON.stringify(value);
}

/** Every param's value for `host` (params with no value at all are left out). */
export function resolveParams(runbook: Runbook, cliParams: Record<string, string>, host: Host, env: NodeJS.ProcessEnv = process.env): Record<string, ParamValue> {
  const declared = Object.keys(runbook.params);
  const issues: InputIssue[] = [];
  for (const name of Object.keys(cliParams)) {
    if (!Object.hasOwn(runbook.params, name)) {
      issues.push({
        file: runbook.file,
        message: `-p ${name}: the runbook declares no param \`${name}\`${hintFor(name, declared).replace(/ \(known: .*\)$/, '')}; declared params: ${declared.join(', ') || 'none'}`,
      });
    }
  }
  const out: Record<string, ParamValue> = {};
  for (const [name, spec] of Object.entries(runbook.params)) {
    const fromEnv = spec.secret ? loadSecretFromEnv(name, env) : undefined;
    const [value, from] = Object.hasOwn(cliParams, name)
      ? [cliParams[name], `-p ${name}`]
      : fromEnv !== undefined
        ? [fromEnv, `$${secretEnvName(name)}`]
        : Object.hasOwn(host.vars, name) && host.vars[name] !== undefined && host.vars[name] !== null
          ? [host.vars[name], `host var \`${name}\` of host ${host.name}`]
          : [spec.default, 'the default'];
    if (value === undefined) {
      if (spec.required) {
        const ways = [`-p ${name}=...`, ...(spec.secret ? [`$${secretEnvName(name)}`] : []), `a host var \`${name}\``];
        issues.push({
          file: runbook.file,
          message: `param \`${name}\` is required on host ${host.name} (expected ${describeType(spec)}${spec.description ? `: ${spec.description}` : ''}); give it with ${ways.join(', or ')}`,
        });
      }
      continue;
    }
    const coerced = coerceParam(spec, value);
    const unmaskable = spec.secret && !('expected' in coerced) ? unmaskableSecretReason(String(coerced.value)) : undefined;
    if ('expected' in coerced) {
      issues.push({ file: runbook.file, message: `param \`${name}\` from ${from}: expected ${coerced.expected}, got ${show(value, spec.secret)}` });
    } else if (unmaskable) {
      issues.push({ file: runbook.file, message: `secret param \`${name}\` from ${from} is refused: ${unmaskable}` });
    } else {
      out[name] = coerced.value;
    }
  }
  if (issues.length > 0) throw new InputError(issues);
  return out;
}

function describeType(spec: ParamSpec): string {
  return spec.type === 'path' ? 'a path' : spec.type === 'number' ? 'a number' : spec.type === 'boolean' ? 'a boolean' : 'a string';
}

/** The names of the runbook's secret params (for TemplateScope.secretParams). */
export function secretParamNames(runbook: Runbook): Set<string> {
  return new Set(
    Object.entries(runbook.params)
      .filter(([, spec]) => spec.secret)
      .map(([name]) => name),
  );
}
