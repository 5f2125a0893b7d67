// `drbook schema`: the runbook format as JSON Schema (draft 2020-12), generated from
// the same zod schemas the loader uses so the two cannot drift. Editors (e.g. the
// YAML language server: `# yaml-language-server: $schema=...`) complete and check with it.
// `uses:` lists the built-in actions and each action's `with:` is described by its own
// schema (action-args-schema.ts), so editors flag a misspelt argument as validate does.

import { z } from 'zod';
import type { ActionCatalog } from '../core/action-catalog.js';
import { actionArgsConditions } from './action-args-schema.js';
import { inventorySchema } from '../inventory/schema.js';
import { runbookSchema } from './schema.js';

type JsonObject = Record<string, unknown>;

/** `catalog`: the actions `uses:` may name (src/actions/registry.ts `builtinActions`). */
export function runbookJsonSchema(catalog: ActionCatalog): object {
  const schema = z.toJSONSchema(runbookSchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as JsonObject;
  const step = findStepSchema(schema);
  if (step) {
    const properties = step.properties as Record<string, JsonObject>;
    const actions = catalog.list();
    properties.uses = {
      ...properties.uses,
      enum: actions.map((a) => a.name),
      description: `A built-in action. Exactly one of \`uses\` and \`run\`.\n${actions.map((a) => `- ${a.name}: ${a.summary}`).join('\n')}`,
    };
    // Exactly one of uses/run; rollback and check only with run, with only with uses.
    step.oneOf = [
      { required: ['uses'], not: { anyOf: [{ required: ['run'] }, { required: ['rollback'] }, { required: ['check'] }] } },
      { required: ['run'], not: { required: ['with'] } },
    ];
    schema.$defs = (schema.$defs ?? {}) as Record<string, unknown>;
    step.allOf = actionArgsConditions(actions, schema.$defs as Record<string, unknown>);
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://drbook.dev/schema/runbook-v1.json',
    title: 'drbook runbook (apiVersion drbook/v1)',
    ...schema,
  };
}

/** The inventory format, for editors too. */
export function inventoryJsonSchema(): object {
  const schema = z.toJSONSchema(inventorySchema, { target: 'draft-2020-12', unrepresentable: 'any' }) as JsonObject;
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'https://drbook.dev/schema/inventory-v1.json', title: 'drbook inventory (apiVersion drbook/v1)', ...schema };
}

function findStepSchema(schema: JsonObject): JsonObject | undefined {
  const steps = (schema.properties as Record<string, JsonObject> | undefined)?.steps;
  const items = steps?.items as JsonObject | undefined;
  if (!items) return undefined;
  if (typeof items.$ref === 'string') {
    const name = items.$ref.split('/').pop()!;
    return ((schema.$defs ?? {}) as Record<string, JsonObject>)[name];
  }
  return items;
}
