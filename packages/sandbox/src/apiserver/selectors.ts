// labelSelector and fieldSelector query parameters, for what kubectl users type in a
// verification step: `-l app=web`, `--field-selector spec.nodeName=node1`.
// Equality forms only (=, ==, !=, and bare/negated keys for labels); set-based
// selectors (in, notin) are refused with a clear message rather than ignored.

import type { StoredObject } from './store.js';

export type Selector = (object: StoredObject) => boolean;

interface Requirement {
  key: string;
  op: 'eq' | 'ne' | 'exists' | 'absent';
  value?: string;
}

export class SelectorError extends Error {}

function parseRequirements(text: string, which: string): Requirement[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      if (/\s(in|notin)\s*\(/.test(part)) throw new SelectorError(`${which} "${part}": set-based selectors are not supported by the sandbox API server`);
      const match = /^([^!=]+?)\s*(==|!=|=)\s*(.*)$/.exec(part);
      if (match) return { key: match[1]!.trim(), op: match[2] === '!=' ? 'ne' : 'eq', value: match[3]!.trim() };
      if (part.startsWith('!')) return { key: part.slice(1).trim(), op: 'absent' };
      return { key: part, op: 'exists' };
    });
}

function matches(actual: string | undefined, requirement: Requirement): boolean {
  switch (requirement.op) {
    case 'eq':
      return actual === requirement.value;
    case 'ne':
      return actual !== requirement.value;
    case 'exists':
      return actual !== undefined;
    case 'absent':
      return actual === undefined;
  }
}

export function labelSelector(text: string | null): Selector {
  if (!text) return () => true;
  const requirements = parseRequirements(text, 'labelSelector');
  return (object) => {
    const labels = (object.metadata.labels ?? {}) as Record<string, string>;
    return requirements.every((requirement) => matches(labels[requirement.key], requirement));
  };
}

/** Field paths are dotted (spec.nodeName, status.phase, metadata.name); values compare as strings. */
export function fieldSelector(text: string | null): Selector {
  if (!text) return () => true;
  const requirements = parseRequirements(text, 'fieldSelector');
  for (const requirement of requirements) {
    if (requirement.op === 'exists' || requirement.op === 'absent') throw new SelectorError(`fieldSelector "${requirement.key}": expected field=value or field!=value`);
  }
  return (object) =>
    requirements.every((requirement) => {
      let value: unknown = object;
      for (const part of requirement.key.split('.')) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
      // The API server treats a missing field as the empty string.
      return matches(value === undefined || value === null ? '' : String(value), requirement);
    });
}
