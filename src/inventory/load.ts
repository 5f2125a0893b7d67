// Loading an inventory: the same YAML-with-places machinery as runbooks, so an
// inventory error reads the same way (file:line:col, key path, what was expected,
// "did you mean" for unknown keys). Without an inventory a run has only `local`.

import type { InputIssue } from '../core/errors.js';
import type { Inventory } from '../core/inventory.js';
import { checkSchema, documentRoot, documentSha256, parseDocument, readDocumentText } from '../input/load-document.js';
import { sortIssues, type YamlSource } from '../input/yaml-source.js';
import { buildInventory, checkInventoryRefs, localHost, LOCAL_HOST } from './merge.js';
import { inventorySchema } from './schema.js';

export async function loadInventory(file: string): Promise<Inventory> {
  return parseInventory(await readDocumentText(file, 'inventory'), file);
}

export function parseInventory(text: string, file: string): Inventory {
  return parseDocument(text, file, (source) => {
    const found = checkInventorySource(source);
    return { issues: found.issues, value: found.inventory };
  });
}

const INVENTORY = {
  expected: 'expected an inventory: a mapping with apiVersion: drbook/v1, kind: Inventory, defaults, groups, hosts',
  otherKinds: { Runbook: 'this is a runbook (kind: Runbook), not an inventory' },
};

/** Every issue of a parsed inventory (empty: valid) and, when valid, the inventory. */
export function checkInventorySource(source: YamlSource): { issues: InputIssue[]; inventory?: Inventory } {
  const root = documentRoot(source, INVENTORY);
  if (!root.data) return { issues: root.issues };
  const { issues, parsed } = checkSchema(inventorySchema, root.data, source);
  issues.push(...checkInventoryRefs(root.data, source));
  if (issues.length > 0 || !parsed) return { issues: sortIssues(issues) };
  return { issues: [], inventory: buildInventory(parsed, source.file, documentSha256(source)) };
}

/** The inventory of a run without -i: only the operator's machine. */
export function builtinInventory(): Inventory {
  return { hosts: { [LOCAL_HOST]: localHost() }, groups: {} };
}
