// A step's `with:` checked against its action's own zod schema, at load time. Values
// are still unrendered templates then, so the check must tolerate them: key names and
// unknown keys are always checked, literal values are checked for their types, and a
// value that holds a `{{ ... }}` is left for the per-host render (where the action's
// schema sees the real value). Command fields are command templates: strings.

import type { InputIssue } from '../core/errors.js';
import type { ActionDefinition } from '../core/action.js';
import type { ActionCatalog } from '../core/action-catalog.js';
import { ShellCommand } from '../shell/command.js';
import { hintFor } from '../input/suggest.js';
import { issueAt, type KeyPath, type YamlSource } from '../input/yaml-source.js';
import { describeValue, translateZodIssue, valueAt } from '../input/zod-issues.js';

export function containsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsTemplate);
  return false;
}

/** The action a step uses, or an issue listing the known ones. */
export function findAction(actions: ActionCatalog, name: unknown, source: YamlSource, path: KeyPath): { action?: ActionDefinition; issue?: InputIssue } {
  if (typeof name !== 'string') return {};
  const action = actions.get(name);
  if (action) return { action };
  const known = actions.list().map((a) => a.name);
  return { issue: issueAt(source, path, `unknown action \`${name}\`${hintFor(name, known).replace(/^ \(known: (.*)\)$/, '')}; known actions: ${known.join(', ')}`) };
}

/** Issues of one step's `with:` against `action` (path is where `with` sits, e.g. steps[2].with). */
export function checkActionArgs(action: ActionDefinition, args: Record<string, unknown>, source: YamlSource, path: KeyPath): InputIssue[] {
  const issues: InputIssue[] = [];
  const commandFields = new Set(action.commandFields ?? []);
  const probe: Record<string, unknown> = { ...args };
  for (const field of commandFields) {
    const value = args[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      issues.push(issueAt(source, [...path, field], `expected a shell command (a string), got ${describeValue(value)}`));
      delete probe[field];
      continue;
    }
    // The action's schema wants a ShellCommand; the real one is rendered per host.
    probe[field] = new ShellCommand([{ t: 'lit', v: value }]);
  }
  const result = action.schema.safeParse(probe);
  if (result.success) return issues;
  for (const issue of result.error.issues) {
    const local = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const field = local[0];
    if (issue.code !== 'unrecognized_keys') {
      // A bad command field was already reported above; a templated value is checked when rendered.
      if (typeof field === 'string' && commandFields.has(field) && typeof args[field] !== 'string') continue;
      if (containsTemplate(valueAt(args, local))) continue;
    }
    issues.push(...translateZodIssue(issue, { source, schema: action.schema, prefix: path, data: args }));
  }
  return issues;
}
