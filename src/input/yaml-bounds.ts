// Bounds on YAML input, checked in time linear in its size and without recursion, so a
// hostile file gets a clear refusal instead of a stack overflow or a minutes-long load:
// - nesting: the yaml library composes documents recursively and overflows the stack
//   somewhere near 800 levels, which it reports as "Maximum call stack size exceeded";
//   every later step (schema, templates, masking) recurses too. Anything deeper than
//   MAX_NESTING is refused before composing, at the place where it gets too deep.
// - duplicate keys: the library's own check compares each key with every earlier key
//   of its mapping (quadratic: 20,000 params took seconds); this one uses a set.

import { isMap, isScalar, isSeq, type CST, type Document, type Node } from 'yaml';

/** Far deeper than any runbook or inventory needs, far below what the parser survives. */
export const MAX_NESTING = 64;

export function nestingMessage(where = ''): string {
  return `nests deeper than ${MAX_NESTING} levels${where} (mappings and lists inside one another); a runbook or inventory needs far fewer`;
}

/** The offset of the first collection nested deeper than MAX_NESTING in the parsed tokens, if any. */
export function findTooDeep(tokens: readonly CST.Token[]): number | undefined {
  const stack: Array<[CST.Token, number]> = tokens.map((token) => [token, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (token.type === 'document') {
      if (token.value) stack.push([token.value, depth]);
      continue;
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth + 1 > MAX_NESTING) return token.offset;
    for (const item of token.items as CST.CollectionItem[]) {
      if (item.key) stack.push([item.key, depth + 1]);
      if (item.value) stack.push([item.value, depth + 1]);
    }
  }
  return undefined;
}

/** Offsets of keys that repeat an earlier key of the same mapping (scalar keys, as the library compares them). */
export function findDuplicateKeys(doc: Document.Parsed): number[] {
  const found: number[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (isScalar(key)) {
          if (seen.has(key.value) && key.range) found.push(key.range[0]);
          seen.add(key.value);
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      stack.push(...node.items);
    }
  }
  return found.sort((a, b) => a - b);
}

/**
 * The key path to the first place where a plain value (after aliases are expanded)
 * nests deeper than MAX_NESTING, or undefined. Aliases can stack a shallow document
 * into a deep value; shared objects are walked once per place they appear.
 */
export function findDeepValuePath(value: unknown): Array<string | number> | undefined {
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (path.length >= MAX_NESTING) return path;
    const entries: Array<[string | number, unknown]> = Array.isArray(current)
      ? current.map((v, i) => [i, v])
      : current instanceof Map
        ? [...current].map(([k, v]) => [String(k), v])
        : Object.entries(current);
    for (const [key, child] of entries) stack.push({ value: child, path: [...path, key] });
  }
  return undefined;
}
