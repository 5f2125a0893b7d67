// YAML with places. Runbooks and inventories are parsed into a Document kept beside
// the plain data so that every problem found later (by zod, by an action's schema, by
// a template check) can be pinned to the file:line:col of the node it is about.

import { Composer, Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser, YAMLParseError, type CST, type Node } from 'yaml';
import type { InputIssue } from '../core/errors.js';
import { findDeepValuePath, findDuplicateKeys, findTooDeep, nestingMessage } from './yaml-bounds.js';

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
  const tokens = [...new Parser(lineCounter.addNewLine).parse(text)];
  const tooDeep = findTooDeep(tokens);
  if (tooDeep !== undefined) {
    // Not composed at all: the composer would recurse that deep.
    const source: YamlSource = { file, text, doc: new Document() as Document.Parsed, lineCounter, data: undefined };
    return { source, issues: [{ file, ...placeAt(source, tooDeep), message: nestingMessage() }] };
  }
  const doc = composeDocument(tokens, text);
  const source: YamlSource = { file, text, doc, lineCounter, data: undefined };
  const issues: InputIssue[] = doc.errors.map((error) => ({
    file,
    ...placeAt(source, error.pos[0]),
    message: `YAML syntax error: ${error.message}`,
  }));
  for (const offset of findDuplicateKeys(doc)) issues.push({ file, ...placeAt(source, offset), message: 'YAML syntax error: Map keys must be unique' });
  if (issues.length === 0) {
    try {
      source.data = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      issues.push({ file, line: 1, col: 1, message: `YAML error: ${(error as Error).message}` });
    }
    const deep = issues.length === 0 ? findDeepValuePath(source.data) : undefined;
    if (deep) {
      source.data = undefined;
      issues.push({ file, ...placeOf(source, deep), path: formatPath(deep), message: nestingMessage(' once its aliases are expanded') });
    }
    if (issues.length === 0) issues.push(...findUnquotedTemplates(source));
  }
  return { source, issues };
}

/**
 * parseDocument without its quadratic duplicate-key check (findDuplicateKeys does it in
 * linear time): the same Composer, on tokens already parsed.
 */
function composeDocument(tokens: CST.Token[], text: string): Document.Parsed {
  const composer = new Composer({ prettyErrors: false, uniqueKeys: false });
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(tokens, true, text.length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(new YAMLParseError(next.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
      break;
    }
  }
  return doc!;
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
