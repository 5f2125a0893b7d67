// The actions a runbook may name in `uses:`, as the loader sees them. The runbook layer
// (load, check-args, json-schema) is handed one instead of importing src/actions, so
// validation stays below the actions it checks against and a test can hand in its own.
// The built-in catalog is `builtinActions` in src/actions/registry.ts.

import type { ActionDefinition } from './action.js';

export interface ActionCatalog {
  get(name: string): ActionDefinition | undefined;
  /** Every action, sorted by name. */
  list(): ActionDefinition[];
}
