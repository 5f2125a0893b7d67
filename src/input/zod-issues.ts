// zod's issues, turned into issues an operator can act on: the file:line:col of the
// offending node (or of the parent key when a key is missing), the key path, and what
// was expected in plain words — with "did you mean" for unknown keys.

import type { z } from 'zod';
import type { InputIssue } from '../core/errors.js';
import { hintFor } from './suggest.js';
import { formatPath, placeOf, placeOfKey, type KeyPath, type YamlSource } from './yaml-source.js';

type AnySchema = z.core.$ZodType;

/** The keys an object schema accepts at `path` (walking arrays, records, optionals...). */
export function knownKeysAt(schema: AnySchema, path: KeyPath): string[] {
  let current: AnySchema | undefined = schema;
  for (const segment of [...path, undefined]) {
    current = unwrap(current);
    if (!current) return [];
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if (segment === undefined) {
      if (def.type === 'object') return Object.keys(def.shape as object);
      return [];
    }
    if (def.type === 'object') current = (def.shape as Record<string, AnySchema>)[String(segment)];
    else if (def.type === 'array') current = def.element as AnySchema;
    else if (def.type === 'record') current = def.valueType as AnySchema;
    else return [];
  }
  return [];
}

function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let current = schema;
  for (let i = 0; i < 20 && current; i++) {
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') current = def.innerType as AnySchema;
    else if (def.type === 'pipe') current = def.in as AnySchema;
    else if (def.type === 'union') {
      // The object option is the one that has keys to suggest.
      const options = def.options as AnySchema[];
      current = options.find((o) => (o._zod.def as { type: string }).type === 'object') ?? options[0];
    } else return current;
  }
  return current;
}

/** What a plain JS value is, in the words of an error message. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? value.slice(0, 37) + '...' : value)})`;
  if (typeof value === 'number') return `a number (${value})`;
  return `a ${typeof value} (${String(value)})`;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean (true or false)',
  object: 'a mapping (key: value)',
  array: 'a list',
  record: 'a mapping (key: value)',
};

/** The value at a key path in parsed YAML data, or undefined where the path leads nowhere. */
export function valueAt(data: unknown, path: KeyPath): unknown {
  let current = data;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function expectedWords(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'invalid_type') return TYPE_WORDS[issue.expected] ?? issue.expected;
  if (issue.code === 'invalid_value') return issue.values.map((v) => JSON.stringify(v)).join(' or ');
  if (issue.message && !issue.message.startsWith('Invalid')) return issue.message.replace(/^expected /, '');
  return undefined;
}

export interface IssueOptions {
  source: YamlSource;
  schema: AnySchema;
  /** Prefix for key paths, when the validated value sits inside the document (e.g. steps[2].with). */
  prefix?: KeyPath;
  data: unknown;
}

/** One zod issue becomes one or more input issues (one per unknown key). */
export function translateZodIssue(issue: z.core.$ZodIssue, options: IssueOptions): InputIssue[] {
  const { source, prefix = [] } = options;
  const local = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const path = [...prefix, ...local];
  const at = (message: string, where: KeyPath = path): InputIssue => ({
    file: source.file,
    ...placeOf(source, where),
    path: formatPath(where) || undefined,
    message,
  });

  const unionValue =
    issue.code === 'invalid_union'
      ? valueAt(
          options.data,
          issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
        )
      : undefined;
  if (issue.code === 'invalid_union' && unionValue !== null && typeof unionValue === 'object') {
    // A union of a mapping and something else (e.g. a host or null): when the value
    // had the right shape for exactly one option, that option's issues are the useful ones.
    const matching = issue.errors.filter((branch) => !branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
    if (matching.length === 1) {
      return matching[0]!.flatMap((inner) => translateZodIssue({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue, options));
    }
  }

  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(options.schema, local);
      return issue.keys.map((key) => ({
        file: source.file,
        ...placeOfKey(source, path, key),
        path: formatPath([...path, key]),
        message: `unknown key \`${key}\`${hintFor(key, known)}`,
      }));
    }
    case 'invalid_union':
    case 'invalid_type':
    case 'invalid_value': {
      const value = valueAt(options.data, local);
      const expected = expectedWords(issue);
      if (value === undefined && local.length > 0) {
        const key = local[local.length - 1];
        return [at(`missing required key \`${String(key)}\`${expected ? ` (expected ${expected})` : ''}`)];
      }
      if (issue.message && !issue.message.startsWith('Invalid')) return [at(`${issue.message}, got ${describeValue(value)}`)];
      return [at(`expected ${expected ?? 'something else'}, got ${describeValue(value)}`)];
    }
    case 'invalid_key':
      return [at(`invalid key name: ${issue.issues.map((i) => i.message).join('; ')}`)];
    default: {
      const value = valueAt(options.data, local);
      return [at(issue.message.startsWith('expected') && value !== undefined ? `${issue.message}, got ${describeValue(value)}` : issue.message)];
    }
  }
}

export function translateZodError(error: z.ZodError, options: IssueOptions): InputIssue[] {
  return error.issues.flatMap((issue) => translateZodIssue(issue, options));
}
