// Every built-in action, by the name a runbook uses in `uses:`.
// Action families register through their own index files so each folder stays self-contained.

import type { ActionDefinition } from '../core/action.js';
import type { ActionCatalog } from '../core/action-catalog.js';
import { coreActions } from './core/index.js';
import { etcdActions } from './etcd/index.js';
import { k8sActions } from './k8s/index.js';

const actions = new Map<string, ActionDefinition>();
for (const action of [...coreActions, ...etcdActions, ...k8sActions]) actions.set(action.name, action);

export function getAction(name: string): ActionDefinition | undefined {
  return actions.get(name);
}

export function listActions(): ActionDefinition[] {
  return [...actions.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The built-in actions, as handed to the runbook loader (src/core/action-catalog.ts). */
export const builtinActions: ActionCatalog = { get: getAction, list: listActions };
