// `drbook schema` checked with a real JSON Schema validator (ajv, the 2020-12 draft the
// schema declares) against what `drbook validate` says: every shipped runbook and every
// runbook/inventory fixture validate accepts is accepted by the schema too, and a
// misspelt action argument is refused by both. The zod schemas are the truth: where the
// two disagree, the JSON Schema is wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { runCli } from '../../src/cli/dispatch.js';
import { validateFile } from '../../src/runbook/validate.js';
import { builtinActions } from '../../src/actions/registry.js';
import { REPO_ROOT } from '../support/fixtures.js';

/** `drbook schema [--inventory]` as printed by the CLI. */
async function printedSchema(argv: string[]): Promise<Record<string, any>> {
  let out = '';
  const write = process.stdout.write;
  // Strings are the command's; the test runner's own reports (Buffers) pass through.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: any[]) =>
    typeof chunk === 'string' ? ((out += chunk), true) : write.call(process.stdout, chunk, ...rest)) as typeof process.stdout.write;
  try {
    assert.equal(await runCli(['schema', ...argv]), 0);
  } finally {
    process.stdout.write = write;
  }
  return JSON.parse(out);
}

async function validators(): Promise<{ Runbook: ValidateFunction; Inventory: ValidateFunction }> {
  const runbook = await printedSchema([]);
  const inventory = await printedSchema(['--inventory']);
  for (const schema of [runbook, inventory]) assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  // strict: an unknown keyword in the emitted schema is a bug in it, not something to ignore.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  return { Runbook: ajv.compile(runbook), Inventory: ajv.compile(inventory) };
}

/** Every YAML file under `dir` (recursively). */
function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name))
    .map((d) => join(d.parentPath, d.name));
}

function kindOf(file: string): string | undefined {
  try {
    const doc = parse(readFileSync(file, 'utf8'));
    return doc && typeof doc === 'object' && (doc.kind === 'Runbook' || doc.kind === 'Inventory') ? doc.kind : undefined;
  } catch {
    return undefined; // a YAML syntax fixture: neither can read it
  }
}

test('every shipped runbook and every fixture drbook validate accepts is valid against the emitted schema (ajv)', async () => {
  const validate = await validators();
  const shipped = readdirSync(join(REPO_ROOT, 'runbooks'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(REPO_ROOT, 'runbooks', f));
  const candidates = [...shipped, ...yamlFiles(join(REPO_ROOT, 'fixtures')), ...yamlFiles(join(REPO_ROOT, 'test'))];
  const checked: string[] = [];
  const disagreements: string[] = [];
  for (const file of candidates) {
    const kind = kindOf(file) as 'Runbook' | 'Inventory' | undefined;
    if (!kind) continue;
    const issues = await validateFile(file, builtinActions);
    if (shipped.includes(file)) assert.deepEqual(issues, [], `${file} ships and must validate`);
    if (issues.length > 0) continue;
    checked.push(relative(REPO_ROOT, file));
    const ok = validate[kind](parse(readFileSync(file, 'utf8')));
    if (!ok) disagreements.push(`${relative(REPO_ROOT, file)}: ${JSON.stringify(validate[kind].errors?.slice(0, 3))}`);
  }
  assert.deepEqual(disagreements, []);
  // The shipped runbooks, runbook fixtures and inventories were all in the set.
  assert.ok(shipped.length >= 3 && shipped.every((f) => checked.includes(relative(REPO_ROOT, f))), checked.join(', '));
  assert.ok(
    checked.some((f) => f.startsWith('fixtures/inventories/')),
    checked.join(', '),
  );
  assert.ok(checked.filter((f) => f.startsWith('fixtures/runbooks/')).length >= 4, checked.join(', '));
});

test('a misspelt action argument (bumpRevison:, form:) fails both drbook validate and ajv, at the same key', async (t) => {
  const validate = await validators();
  const dir = await mkdtemp(join(tmpdir(), 'drbook-schema-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const text = (restore: string, move: string) => `apiVersion: drbook/v1
kind: Runbook
metadata: { name: typos }
params:
  snapshot: { type: path }
steps:
  - id: restore
    name: Restore
    uses: etcd.restore
    with:
      snapshot: "{{ params.snapshot }}"
      dataDir: /var/lib/etcd-restored
      ${restore}: "yes"
  - id: move
    name: Move
    uses: file.move
    with:
      ${move}: /a
      to: /b
`;
  const good = join(dir, 'good.yaml');
  await writeFile(good, text('bumpRevision', 'from'));
  assert.deepEqual(await validateFile(good, builtinActions), []);
  assert.equal(validate.Runbook(parse(readFileSync(good, 'utf8'))), true, JSON.stringify(validate.Runbook.errors));

  const bad = join(dir, 'bad.yaml');
  await writeFile(bad, text('bumpRevison', 'form'));
  const issues = (await validateFile(bad, builtinActions)).map((i) => `${i.path}: ${i.message}`).join('\n');
  assert.match(issues, /bumpRevison/);
  assert.match(issues, /form/);
  assert.equal(validate.Runbook(parse(readFileSync(bad, 'utf8'))), false);
  const unknown = (validate.Runbook.errors ?? []).filter((e) => e.keyword === 'additionalProperties').map((e) => `${e.instancePath} ${e.params.additionalProperty}`);
  assert.ok(unknown.includes('/steps/0/with bumpRevison'), unknown.join('\n'));
  assert.ok(unknown.includes('/steps/1/with form'), unknown.join('\n'));
});

test('the schema follows the load check on templates, command fields and required arguments', async (t) => {
  const validate = await validators();
  const dir = await mkdtemp(join(tmpdir(), 'drbook-schema-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cases: Array<[name: string, steps: string, valid: boolean]> = [
    // A boolean argument given as a template is rendered per host first: accepted by both.
    ['template', '  - { id: a, name: A, uses: file.move, with: { from: /a, to: /b, overwrite: "{{ params.force }}" } }', true],
    // A literal of the wrong type is refused by both.
    ['wrong type', '  - { id: a, name: A, uses: file.move, with: { from: /a, to: /b, overwrite: [1] } }', false],
    // A command field is a command template (a string).
    ['command', '  - { id: a, name: A, uses: wait, with: { command: "test -e {{ params.force }}", timeout: 5s } }', true],
    ['command not a string', '  - { id: a, name: A, uses: wait, with: { command: [test] } }', false],
    // No with: is checked as {}: an action with required arguments needs it.
    ['no with', '  - { id: a, name: A, uses: file.move }', false],
    ['no with, none required', '  - { id: a, name: A, uses: static-pods.stop }', true],
  ];
  for (const [name, steps, valid] of cases) {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    await writeFile(file, `apiVersion: drbook/v1\nkind: Runbook\nmetadata: { name: t }\nparams:\n  force: { type: boolean, default: false }\nsteps:\n${steps}\n`);
    const issues = await validateFile(file, builtinActions);
    assert.equal(issues.length === 0, valid, `${name}: drbook validate: ${JSON.stringify(issues)}`);
    assert.equal(validate.Runbook(parse(readFileSync(file, 'utf8'))), valid, `${name}: ajv: ${JSON.stringify(validate.Runbook.errors)}`);
  }
});

test('drbook schema --inventory: a misspelt host key fails ajv as it fails validate', async () => {
  const validate = await validators();
  const file = join(REPO_ROOT, 'fixtures/inventories/invalid-typo.yaml');
  assert.match((await validateFile(file, builtinActions)).map((i) => i.message).join('\n'), /adress/);
  assert.equal(validate.Inventory(parse(readFileSync(file, 'utf8'))), false);
  assert.ok((validate.Inventory.errors ?? []).some((e) => e.keyword === 'additionalProperties' && e.params.additionalProperty === 'adress'));
});
