// Rendering templates, per host, at plan time. Two ways out:
// - renderValue: for `with:` values and `when:`; a string that is exactly one
//   template keeps the value's own type (a number stays a number).
// - renderCommand: for shell command templates; the author's text becomes literal
//   parts and every value becomes an argument part, quoted for the shell context it
//   lands in (see shell-context.ts), so no value can ever become code.
// An unknown variable is an error, never an empty string.

import type { ParamValue } from './types.js';
import { InputError } from '../core/errors.js';
import { ShellCommand, type CommandPart } from '../shell/command.js';
import { findTemplateRefs, soleRef, unescapeLiteral, type TemplateRef } from './template-syntax.js';
import { scanShellContexts } from './shell-context.js';

export { findTemplateRefs } from './template-syntax.js';
export type { TemplateRef } from './template-syntax.js';

export interface TemplateScope {
  params: Record<string, ParamValue>;
  /** Names of the params whose values are secret: masked wherever they are shown. */
  secretParams: Set<string>;
  host: { name: string; address?: string; vars: Record<string, unknown> };
  run: { id: string; startedAt: string };
}

interface Found {
  value: unknown;
  /** The param name when the value is a secret. */
  secret?: string;
}

function fail(message: string): never {
  throw new InputError(message);
}

function lookup(ref: TemplateRef, scope: TemplateScope): Found {
  if (ref.error) fail(ref.error);
  const [root, name, ...rest] = ref.path;
  const dotted = ref.path.join('.');
  if (root === 'params' && name !== undefined && rest.length === 0) {
    if (!Object.hasOwn(scope.params, name)) {
      fail(`param \`${name}\` has no value on host ${scope.host.name}: give it with -p ${name}=..., a host var \`${name}\`, or a default`);
    }
    const value = scope.params[name];
    return scope.secretParams.has(name) ? { value, secret: name } : { value };
  }
  if (root === 'host' && rest.length === 0 && name === 'name') return { value: scope.host.name };
  if (root === 'host' && rest.length === 0 && name === 'address') {
    if (scope.host.address === undefined) fail(`host ${scope.host.name} has no address for \`{{ host.address }}\``);
    return { value: scope.host.address };
  }
  if (root === 'host' && name === 'vars' && rest.length > 0) {
    let value: unknown = scope.host.vars;
    for (const key of rest) {
      value = value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
      if (value === undefined) {
        const known = Object.keys(scope.host.vars);
        fail(`host var \`${rest.join('.')}\` is not defined for host ${scope.host.name} (its vars: ${known.join(', ') || 'none'})`);
      }
    }
    return { value };
  }
  if (root === 'run' && rest.length === 0 && (name === 'id' || name === 'startedAt')) return { value: scope.run[name] };
  return fail(`unknown template variable \`${dotted}\``);
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Render every template inside a value (deep over objects and arrays). Secret values
 * that end up in the result are added to `secrets`, so the engine can mask them.
 */
export function renderValue(value: unknown, scope: TemplateScope, secrets?: Set<string>): unknown {
  if (typeof value === 'string') return renderString(value, scope, secrets);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, scope, secrets));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, scope, secrets)]));
  }
  return value;
}

function renderString(text: string, scope: TemplateScope, secrets?: Set<string>): unknown {
  const refs = findTemplateRefs(text);
  if (refs.length === 0) return unescapeLiteral(text);
  const note = (found: Found): void => {
    if (found.secret !== undefined && secrets) secrets.add(toText(found.value));
  };
  for (const ref of refs) if (ref.raw) fail(`\`| raw\` only applies to shell commands, not to \`${text}\``);
  const sole = soleRef(text);
  if (sole) {
    const found = lookup(sole, scope);
    note(found);
    return found.value;
  }
  let out = '';
  let from = 0;
  for (const ref of refs) {
    const found = lookup(ref, scope);
    note(found);
    out += unescapeLiteral(text.slice(from, ref.start)) + toText(found.value);
    from = ref.end;
  }
  return out + unescapeLiteral(text.slice(from));
}

/** Turn a command template into a ShellCommand, quoting every value for where it lands. */
export function renderCommand(template: string, scope: TemplateScope): ShellCommand {
  const refs = findTemplateRefs(template);
  const found = refs.map((ref) => lookup(ref, scope));

  // Raw values are the author's shell code: inline them before scanning, so that
  // later values are still quoted for the context the raw text leaves behind.
  let text = '';
  const holes: number[] = [];
  const holeOf: number[] = [];
  let from = 0;
  refs.forEach((ref, i) => {
    text += unescapeLiteral(template.slice(from, ref.start));
    from = ref.end;
    if (ref.raw) {
      if (found[i]!.secret !== undefined) fail(`secret param \`${found[i]!.secret}\` cannot be used with \`| raw\`: it would be shown in clear`);
      text += rawText(ref, found[i]!.value);
    } else {
      holeOf[i] = holes.length;
      holes.push(text.length);
    }
  });
  text += unescapeLiteral(template.slice(from));
  const scan = scanShellContexts({ text, holes });

  const parts: CommandPart[] = [];
  from = 0;
  refs.forEach((ref, i) => {
    parts.push({ t: 'lit', v: unescapeLiteral(template.slice(from, ref.start)) });
    from = ref.end;
    if (ref.raw) {
      parts.push({ t: 'lit', v: rawText(ref, found[i]!.value) });
      return;
    }
    const context = scan.holes[holeOf[i]!]!;
    if (context.kind === 'refused') fail(`\`{{ ${ref.expr} }}\` cannot be quoted safely ${context.reason}`);
    const value = valueParts(ref, found[i]!, context.kind === 'plain', context.argvOf);
    // Inside quotes: close them, put the quoted value, reopen. `'a'\''b'` style.
    const quote = context.kind === 'single' ? "'" : context.kind === 'double' ? '"' : '';
    parts.push({ t: 'lit', v: quote }, ...value, { t: 'lit', v: quote });
  });
  parts.push({ t: 'lit', v: unescapeLiteral(template.slice(from)) });
  return new ShellCommand(parts);
}

function rawText(ref: TemplateRef, value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail(`\`{{ ${ref.expr} }}\` is ${Array.isArray(value) ? 'a list' : 'a mapping'}; \`| raw\` takes a single value`);
}

function valueParts(ref: TemplateRef, found: Found, plain: boolean, argvOf: string | undefined): CommandPart[] {
  const { value, secret } = found;
  // Where the shell will put the value: a secret in a program's argv is flagged in the plan.
  if (secret !== undefined) return [{ t: 'secret', name: secret, v: toText(value), ...(argvOf !== undefined ? { argvOf } : {}) }];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [{ t: 'arg', v: String(value) }];
  if (Array.isArray(value) && plain && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    // A list outside quotes becomes several words, like sh`cmd ${list}`.
    return value.flatMap((v, i): CommandPart[] => [...(i > 0 ? [{ t: 'lit' as const, v: ' ' }] : []), { t: 'arg', v: String(v) }]);
  }
  return fail(
    `\`{{ ${ref.expr} }}\` is ${Array.isArray(value) ? 'a list' : 'a mapping'}; a command takes a single value${Array.isArray(value) ? ' (a list of plain values works outside quotes)' : ''}`,
  );
}

/** Values that make `when:` false: the YAML falsy ones and their usual spellings. */
const FALSY = new Set(['', 'false', 'no', 'off', '0', 'null']);

/** Whether a step runs on a host: `when` absent means yes. */
export function evaluateWhen(when: string | undefined, scope: TemplateScope): boolean {
  if (when === undefined) return true;
  const value = renderValue(when, scope);
  if (typeof value === 'string') return !FALSY.has(value.trim().toLowerCase());
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

/**
 * Render an action's `with:` for one host: keys listed in the action's commandFields
 * become ShellCommands, everything else goes through renderValue. `secrets` lists
 * every secret value that went into the result, for the masker.
 */
export function renderArgs(args: Record<string, unknown>, commandFields: readonly string[] | undefined, scope: TemplateScope): { args: Record<string, unknown>; secrets: string[] } {
  const secrets = new Set<string>();
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    if (commandFields?.includes(key) && typeof value === 'string') {
      const command = renderCommand(value, scope);
      for (const s of command.secrets) secrets.add(s);
      out[key] = command;
    } else {
      out[key] = renderValue(value, scope, secrets);
    }
  }
  return { args: out, secrets: [...secrets] };
}
