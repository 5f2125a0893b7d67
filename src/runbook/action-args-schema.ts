// Each action's `with:` as JSON Schema, from the action's own zod schema (the one
// check-args.ts validates with at load), so an editor flags a misspelt argument
// (`bumpRevison:`, `form:`) exactly where `drbook validate` does:
// - unknown keys are refused (additionalProperties: false) where the action's schema
//   refuses them (zod strictObject), and only there;
// - command fields (`command:` of wait, `run:` of shell) are command templates: strings;
// - a value holding `{{ ... }}` is rendered per host before the action sees it, so the
//   load check leaves it alone: every value that is not already "any string" also
//   accepts a templated string;
// - a step with no `with:` is checked as `with: {}`, so an action with required
//   arguments needs `with:`.
// The action list is handed in (not imported from the registry): this file sits below actions/.

import { z } from 'zod';

type JsonObject = Record<string, unknown>;

/** What an action contributes: the parts of ActionDefinition this file reads. */
export interface ActionArgsSource {
  name: string;
  summary: string;
  schema: z.ZodType;
  commandFields?: string[];
}

/** A string holding a template: accepted wherever the rendered value is checked later. */
const TEMPLATE: JsonObject = { type: 'string', pattern: '\\{\\{', description: 'a template, rendered per host (e.g. "{{ params.snapshot }}")' };

export function actionArgsJsonSchema(action: ActionArgsSource): JsonObject {
  const schema = z.toJSONSchema(action.schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonObject;
  delete schema.$schema;
  const properties = (schema.properties ?? {}) as Record<string, JsonObject>;
  for (const field of action.commandFields ?? []) {
    if (field in properties) properties[field] = { type: 'string', description: 'a shell command; values in {{ }} are quoted when rendered' };
  }
  return { ...tolerateTemplates(schema, false), description: `with: of ${action.name} — ${action.summary}` };
}

/**
 * The step schema's `allOf`: for each action, `uses: NAME` → `with:` as that action
 * wants it (and present when it has required arguments). Definitions go to `defs`.
 */
export function actionArgsConditions(actions: ActionArgsSource[], defs: Record<string, unknown>): JsonObject[] {
  return actions.map((action) => {
    const key = `with-${action.name}`;
    const args = actionArgsJsonSchema(action);
    defs[key] = args;
    const needsWith = Array.isArray(args.required) && args.required.length > 0;
    return {
      if: { properties: { uses: { const: action.name } }, required: ['uses'] },
      then: { properties: { with: { $ref: `#/$defs/${key}` } }, ...(needsWith ? { required: ['with'] } : {}) },
    };
  });
}

/** `node`, where every value that is not already "any string" also accepts a template; the node itself only when `wrap`. */
function tolerateTemplates(node: JsonObject, wrap = true): JsonObject {
  const out: JsonObject = { ...node };
  if (isObject(out.properties)) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, isObject(v) ? tolerateTemplates(v) : v]));
  if (isObject(out.items)) out.items = tolerateTemplates(out.items);
  if (isObject(out.additionalProperties)) out.additionalProperties = tolerateTemplates(out.additionalProperties);
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map((branch) => (isObject(branch) ? tolerateTemplates(branch, false) : branch));
  }
  return !wrap || acceptsAnyString(out) ? out : { anyOf: [out, TEMPLATE] };
}

function acceptsAnyString(node: JsonObject): boolean {
  const keys = Object.keys(node).filter((k) => k !== 'description' && k !== 'default' && k !== 'title');
  if (keys.length === 0) return true; // {}: anything
  if (Array.isArray(node.anyOf) && node.anyOf.some((b) => isObject(b) && acceptsAnyString(b))) return true;
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (!types.includes('string')) return false;
  return !['pattern', 'enum', 'const', 'format', 'maxLength', 'not'].some((k) => k in node);
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
