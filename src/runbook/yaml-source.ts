// YAML with places. Runbooks and inventories are parsed into a Document kept beside
// the plain data so that every problem found later (by zod, by an action's schema, by
// a template check) can be pinned to the file:line:col of the node it is about.

import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { InputIssue } from '../errors.js';

export type KeyPath = ReadonlyArray<string | number>;

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The plain JS value (undefined when the file is empty). */
  data: unknown;
}

export interface Place {
  line: number;
  col: number;
}

/** Parse YAML; syntax errors come back as issues (with line:col), never thrown. */
export function parseYamlSource(text: string, file: string): { source: YamlSource; issues: InputIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const source: YamlSource = { file, text, doc, lineCounter, data: undefined };
  const issues: InputIssue[] = doc.errors.map((error) => ({
    file,
    ...placeAt(source, error.pos[0]),
    message: `YAML syntax error: ${error.message}`,
  }));
  if (issues.length === 0) {
    try {
      source.data = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      issues.push({ file, line: 1, col: 1, message: `YAML error: ${(error as Error).message}` });
    }
    issues.push(...findUnquotedTemplates(source));
  }
  return { source, issues };
}

export function placeAt(source: YamlSource, offset: number): Place {
  const { line, col } = source.lineCounter.linePos(offset);
  return line === 0 ? { line: 1, col: offset + 1 } : { line, col };
}

/** `steps[2].with.source` */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

interface Located {
  /** The node at the end of the path, if the whole path exists. */
  node?: Node;
  /** The key node of the last mapping entry walked through. */
  keyNode?: Node;
  /** The deepest node that exists on the way. */
  deepest: Node | undefined;
  found: boolean;
}

function locate(source: YamlSource, path: KeyPath): Located {
  let current = source.doc.contents as Node | null;
  let keyNode: Node | undefined;
  for (const segment of path) {
    while (isAlias(current)) current = current.resolve(source.doc) ?? null;
    if (isMap(current)) {
      const pair = current.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return { deepest: current, keyNode, found: false };
      keyNode = pair.key as Node;
      current = (pair.value as Node | null) ?? null;
      if (current === null) return { deepest: keyNode, keyNode, found: false };
    } else if (isSeq(current) && typeof segment === 'number') {
      const item = current.items[segment] as Node | undefined;
      if (!item) return { deepest: current, keyNode, found: false };
      keyNode = undefined;
      current = item;
    } else {
      return { deepest: current ?? undefined, keyNode, found: false };
    }
  }
  return { node: current ?? undefined, keyNode, deepest: current ?? undefined, found: true };
}

function startOf(source: YamlSource, node: Node | undefined): Place | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : placeAt(source, start);
}

/**
 * Where the value at `path` was written. A null value (`timeout:` with nothing after
 * it) has no text of its own, so its key is shown. When the path does not exist (a
 * missing key), the place of its nearest parent key is given instead.
 */
export function placeOf(source: YamlSource, path: KeyPath): Place {
  const found = locate(source, path);
  if (found.found) {
    const node = found.node;
    const empty = isScalar(node) && node.value === null && node.range && node.range[0] === node.range[1];
    return (empty ? startOf(source, found.keyNode) : startOf(source, node)) ?? { line: 1, col: 1 };
  }
  return startOf(source, found.keyNode ?? found.deepest) ?? { line: 1, col: 1 };
}

/** Where a key of the mapping at `path` was written (for unknown keys). */
export function placeOfKey(source: YamlSource, path: KeyPath, key: string): Place {
  const found = locate(source, [...path, key]);
  return (found.found || found.keyNode ? startOf(source, found.keyNode) : undefined) ?? placeOf(source, path);
}

/** The scalar node at `path`, with its source text, for locating text inside it. */
export function scalarAt(source: YamlSource, path: KeyPath): { start: number; raw: string } | undefined {
  const found = locate(source, path);
  const node = found.node;
  if (!found.found || !isScalar(node) || !node.range) return undefined;
  return { start: node.range[0], raw: source.text.slice(node.range[0], node.range[1]) };
}

export function issueAt(source: YamlSource, path: KeyPath, message: string): InputIssue {
  return { file: source.file, ...placeOf(source, path), path: formatPath(path) || undefined, message };
}

/**
 * `run: {{ x }}` without quotes is a YAML flow mapping, not a template: the value
 * silently becomes an object. Ansible users know the trap; say it plainly.
 */
function findUnquotedTemplates(source: YamlSource): InputIssue[] {
  const issues: InputIssue[] = [];
  const visit = (node: unknown, path: Array<string | number>): void => {
    if (isMap(node)) {
      const start = node.range?.[0];
      if (node.flow && start !== undefined && source.text.startsWith('{{', start)) {
        issues.push({
          file: source.file,
          ...placeAt(source, start),
          path: formatPath(path) || undefined,
          message: 'a value that starts with a template must be quoted in YAML: write "{{ ... }}"',
        });
        return;
      }
      for (const pair of node.items) if (isScalar(pair.key)) visit(pair.value, [...path, String(pair.key.value)]);
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, i]));
    }
  };
  visit(source.doc.contents, []);
  return issues;
}

/** In reading order, so the first line of a report is the first problem in the file. */
export function sortIssues(issues: InputIssue[]): InputIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
