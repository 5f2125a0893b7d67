// `drbook validate FILE...`: runbooks and inventories, told apart by their `kind`.
// Returns every issue (empty: valid); never throws for a bad file.

import { readFile } from 'node:fs/promises';
import type { ActionCatalog } from '../core/action-catalog.js';
import type { InputIssue } from '../core/errors.js';
import { checkInventorySource } from '../inventory/load.js';
import { checkRunbookSource, sortIssues } from './load.js';
import { parseYamlSource, placeOf } from '../input/yaml-source.js';
import { describeFileError } from '../input/file-error.js';

/** `actions`: the actions a runbook's `uses:` may name (src/actions/registry.ts `builtinActions`). */
export async function validateFile(file: string, actions: ActionCatalog): Promise<InputIssue[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return [{ file, message: `cannot read the file: ${describeFileError(error)}` }];
  }
  return validateText(text, file, actions);
}

export function validateText(text: string, file: string, actions: ActionCatalog): InputIssue[] {
  const { source, issues } = parseYamlSource(text, file);
  if (issues.length > 0) return sortIssues(issues);
  const data = source.data as Record<string, unknown> | null;
  const kind = data !== null && typeof data === 'object' && !Array.isArray(data) ? data.kind : undefined;
  if (kind === 'Runbook') return sortIssues(checkRunbookSource(source, actions).issues);
  if (kind === 'Inventory') return sortIssues(checkInventorySource(source).issues);
  return [{ file, ...placeOf(source, ['kind']), path: 'kind', message: `expected \`kind: Runbook\` or \`kind: Inventory\`, got ${kind === undefined ? 'no kind' : JSON.stringify(kind)}` }];
}
