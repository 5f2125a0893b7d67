// Loading an inventory: the same YAML-with-places machinery as runbooks, so an
// inventory error reads the same way (file:line:col, key path, what was expected,
// "did you mean" for unknown keys). Without an inventory a run has only `local`.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError, type InputIssue } from '../core/errors.js';
import { parseYamlSource, sortIssues, type YamlSource } from '../input/yaml-source.js';
import { translateZodError } from '../input/zod-issues.js';
import type { Inventory } from '../core/inventory.js';
import { buildInventory, checkInventoryRefs, localHost, LOCAL_HOST } from './merge.js';
import { inventorySchema } from './schema.js';

export async function loadInventory(file: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError([{ file, message: `cannot read the inventory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);
  }
  return parseInventory(text, file);
}

export function parseInventory(text: string, file: string): Inventory {
  const { source, issues } = parseYamlSource(text, file);
  if (issues.length > 0) throw new InputError(sortIssues(issues));
  const found = checkInventorySource(source);
  if (!found.inventory) throw new InputError(sortIssues(found.issues));
  return found.inventory;
}

/** Every issue of a parsed inventory (empty: valid) and, when valid, the inventory. */
export function checkInventorySource(source: YamlSource): { issues: InputIssue[]; inventory?: Inventory } {
  const data = source.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { issues: [{ file: source.file, line: 1, col: 1, message: 'expected an inventory: a mapping with apiVersion: drbook/v1, kind: Inventory, defaults, groups, hosts' }] };
  }
  if ((data as Record<string, unknown>).kind === 'Runbook') {
    return { issues: [{ file: source.file, line: 1, col: 1, path: 'kind', message: 'this is a runbook (kind: Runbook), not an inventory' }] };
  }
  const parsed = inventorySchema.safeParse(data);
  const issues = parsed.success ? [] : translateZodError(parsed.error, { source, schema: inventorySchema, data });
  issues.push(...checkInventoryRefs(data, source));
  if (issues.length > 0 || !parsed.success) return { issues: sortIssues(issues) };
  const sha256 = createHash('sha256').update(source.text).digest('hex');
  return { issues: [], inventory: buildInventory(parsed.data, source.file, sha256) };
}

/** The inventory of a run without -i: only the operator's machine. */
export function builtinInventory(): Inventory {
  return { hosts: { [LOCAL_HOST]: localHost() }, groups: {} };
}
