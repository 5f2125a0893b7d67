// The one shape of both loaders, runbooks and inventories: read the file → parse the YAML
// with places → check the document (its zod schema, then its own cross-field rules) →
// every issue with file:line:col, thrown together as one InputError. A loader supplies
// only what its kind of document is and how to check it.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { InputError, type InputIssue } from '../core/errors.js';
import { parseYamlSource, sortIssues, type YamlSource } from './yaml-source.js';
import { translateZodError } from './zod-issues.js';
import { describeFileError } from './file-error.js';

/** What checking a document found: every issue (empty: valid) and, when valid, the value. */
export interface Checked<T> {
  issues: InputIssue[];
  value?: T;
}

/** The file's text, or an InputError naming it ("x.yaml: cannot read the runbook: no such file"), never a raw ENOENT. */
export async function readDocumentText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError([{ file, message: `cannot read the ${what}: ${describeFileError(error)}` }]);
  }
}

/** Parses with places and checks; throws one InputError with every issue, sorted by place. */
export function parseDocument<T>(text: string, file: string, check: (source: YamlSource) => Checked<T>): T {
  const { source, issues } = parseYamlSource(text, file);
  if (issues.length > 0) throw new InputError(sortIssues(issues));
  const found = check(source);
  if (found.issues.length > 0 || found.value === undefined) throw new InputError(sortIssues(found.issues));
  return found.value;
}

export interface DocumentKind {
  /** The issue when the document is not a mapping: "expected a runbook: a mapping with ...". */
  expected: string;
  /** The issue when `kind:` names another kind of document, by that kind. */
  otherKinds: Record<string, string>;
}

/** The document's top mapping, or the one issue saying what it is instead. */
export function documentRoot(source: YamlSource, kind: DocumentKind): { data: Record<string, unknown>; issues?: undefined } | { data?: undefined; issues: InputIssue[] } {
  const data = source.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { issues: [{ file: source.file, line: 1, col: 1, message: kind.expected }] };
  }
  const record = data as Record<string, unknown>;
  const other = typeof record.kind === 'string' && Object.hasOwn(kind.otherKinds, record.kind) ? kind.otherKinds[record.kind] : undefined;
  if (other !== undefined) return { issues: [{ file: source.file, line: 1, col: 1, path: 'kind', message: other }] };
  return { data: record };
}

/** The data through its zod schema: each issue placed in the file, and the parsed value when valid. */
export function checkSchema<S extends z.ZodType>(schema: S, data: unknown, source: YamlSource): { issues: InputIssue[]; parsed?: z.output<S> } {
  const parsed = schema.safeParse(data);
  if (parsed.success) return { issues: [], parsed: parsed.data };
  return { issues: translateZodError(parsed.error, { source, schema, data }) };
}

/** The SHA-256 of the document's text, as journaled with the run. */
export function documentSha256(source: YamlSource): string {
  return createHash('sha256').update(source.text).digest('hex');
}
