// Shared by the runbook and inventory tests: the fixtures and a template scope.

import type { TemplateScope } from '../../src/runbook/template.js';
import type { ParamValue } from '../../src/runbook/types.js';

export { REPO_ROOT as ROOT, fixture } from '../support/fixtures.js';

export function scope(params: Record<string, ParamValue> = {}, secret: string[] = [], vars: Record<string, unknown> = {}): TemplateScope {
  return {
    params,
    secretParams: new Set(secret),
    host: { name: 'm1', address: '10.0.0.11', vars },
    run: { id: 'run-20240101-abc', startedAt: '2024-01-01T00:00:00.000Z' },
  };
}
