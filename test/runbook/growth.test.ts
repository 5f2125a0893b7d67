// Validation and planning grow linearly with the runbook's size. Each case is measured
// at n and 2n in this same process (CPU time, garbage collected before each, best of 3,
// after a warm-up), so the machine's speed and load cancel out; 2x the size must cost
// well under the 4x a quadratic part would cost. Cases: one mapping of many keys and
// many params (the YAML parser's own duplicate-key check was quadratic: 20,000 params
// took 21.6 s), many secret params (each one goes to the masker), many steps, many
// hosts in an inventory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compileRunbook } from '../../src/engine/compile.js';
import type { Host } from '../../src/core/inventory.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { builtinActions } from '../../src/actions/registry.js';
import { validateText } from '../../src/runbook/validate.js';
import { Masker } from '../../src/shell/masker.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function cpuMs(work: () => void): number {
  gc();
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

const best = (work: () => void): number => Math.min(cpuMs(work), cpuMs(work), cpuMs(work));

const HEADER = ['apiVersion: drbook/v1', 'kind: Runbook', 'metadata: { name: big }'];

function manyParams(n: number, secret: boolean): string {
  const lines = [...HEADER, 'params:'];
  for (let i = 0; i < n; i++) lines.push(`  p${i}: { type: string, default: value-${i}${secret ? ', secret: true' : ''} }`);
  lines.push('steps:', '  - { id: a, name: A, run: "echo {{ params.p1 }}" }');
  return lines.join('\n') + '\n';
}

function manySteps(n: number): string {
  const lines = [...HEADER, 'params:', '  x: { type: string, default: v }', 'steps:'];
  for (let i = 0; i < n; i++) lines.push(`  - id: s${i}`, `    name: Step ${i}`, `    run: "echo {{ params.x }} '{{ host.name }}' ${i}"`, `    rollback: "echo undo ${i}"`);
  return lines.join('\n') + '\n';
}

/** One mapping with n small keys: the shape where a quadratic duplicate-key check shows most. */
function manyVars(n: number): string {
  const lines = ['apiVersion: drbook/v1', 'kind: Inventory', 'hosts:', '  m1:', '    vars:'];
  for (let i = 0; i < n; i++) lines.push(`      k${i}: ${i}`);
  return lines.join('\n') + '\n';
}

function manyHosts(n: number): string {
  const names = Array.from({ length: n }, (_, i) => `h${i}`);
  const lines = ['apiVersion: drbook/v1', 'kind: Inventory', 'groups:', `  masters: { hosts: [${names.join(', ')}], vars: { role: m } }`, 'hosts:'];
  for (const name of names) lines.push(`  ${name}: { address: 10.0.0.1, port: 22, vars: { dataDir: /var/lib/etcd-${name} } }`);
  return lines.join('\n') + '\n';
}

const hosts: Host[] = ['m1', 'm2'].map((name) => ({ name, connection: 'local', ssh: {}, vars: {}, groups: [] }));
const plan = (text: string) => () => {
  compileRunbook({ runbook: parseRunbook(text, 'big.yaml', builtinActions), hosts, cliParams: {}, run: { id: 'r', startedAt: 'now' }, masker: new Masker() });
};
const validate = (text: string) => () => {
  assert.deepEqual(validateText(text, 'big.yaml', builtinActions), []);
};

const CASES: Array<{ name: string; n: number; work: (n: number) => () => void }> = [
  { name: 'validate, one mapping of many keys', n: 10_000, work: (n) => validate(manyVars(n)) },
  { name: 'validate, params', n: 1500, work: (n) => validate(manyParams(n, false)) },
  { name: 'plan, secret params', n: 1500, work: (n) => plan(manyParams(n, true)) },
  { name: 'validate, steps', n: 1000, work: (n) => validate(manySteps(n)) },
  { name: 'plan, steps on 2 hosts', n: 1000, work: (n) => plan(manySteps(n)) },
  { name: 'validate, inventory hosts', n: 1500, work: (n) => validate(manyHosts(n)) },
];

for (const { name, n, work } of CASES) {
  test(`${name}: twice the size costs well under four times the time`, (t) => {
    const small = work(n);
    const large = work(2 * n);
    small(); // warm-up: compiled code, caches
    const ratio = best(large) / best(small);
    t.diagnostic(`${name}: ${n} → ${2 * n}: ×${ratio.toFixed(2)}`);
    assert.ok(ratio < 3, `${name}: ${n} → ${2 * n} costs ×${ratio.toFixed(2)} (linear ≈ 2, quadratic ≈ 4)`);
  });
}
