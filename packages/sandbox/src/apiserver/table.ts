// The meta.k8s.io/v1 Table form, which kubectl asks for (Accept: ...;as=Table;...) to
// print `kubectl get` output: column definitions plus one row of cells per object, each
// row carrying the object's metadata so kubectl can add NAMESPACE and labels.

import { DEFAULT_PRINTER, PRINTERS } from './table-rows.js';
import type { ResourceDef } from './resources.js';
import type { StoredObject } from './store.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** True when the Accept header asks for a Table (kubectl get does, -o json does not). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((type) => {
    const params = type.split(';').map((part) => part.trim());
    return params.includes('as=Table') && params.includes('g=meta.k8s.io');
  });
}

export function parseIncludeObject(value: string | null): IncludeObject | null {
  if (value === null || value === '') return 'Metadata';
  return value === 'None' || value === 'Metadata' || value === 'Object' ? value : null;
}

export function toTable(resource: ResourceDef, objects: StoredObject[], options: { revision: string; includeObject: IncludeObject; now?: number }): object {
  const printer = PRINTERS[resource.kind] ?? DEFAULT_PRINTER;
  const now = options.now ?? Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: options.revision },
    columnDefinitions: printer.columns.map((column) => ({
      name: column.name,
      type: column.type,
      format: column.format ?? '',
      description: column.description ?? column.name,
      priority: column.priority ?? 0,
    })),
    rows: objects.map((object) => ({
      cells: printer.cells(object, now),
      ...rowObject(object, options.includeObject),
    })),
  };
}

function rowObject(object: StoredObject, includeObject: IncludeObject): { object?: object } {
  if (includeObject === 'None') return {};
  if (includeObject === 'Object') return { object };
  return { object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata } };
}
