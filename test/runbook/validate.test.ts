import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateFile } from '../../src/runbook/validate.js';
import { builtinActions } from '../../src/actions/registry.js';
import { fixture } from './helpers.js';

test('valid runbooks and inventories have no issues', async () => {
  for (const file of [fixture('runbooks', 'valid', 'swap-dirs.yaml'), fixture('inventories', 'masters.yaml'), fixture('inventories', 'local-nodes.yaml')]) {
    assert.deepEqual(await validateFile(file, builtinActions), [], file);
  }
});

test('runbooks and inventories are told apart by kind and checked by their own rules', async () => {
  const runbookIssues = await validateFile(fixture('runbooks', 'invalid', 'typo-key.yaml'), builtinActions);
  assert.equal(runbookIssues.length, 1);
  assert.match(runbookIssues[0]!.message, /unknown key `tmeout`/);
  const inventoryIssues = await validateFile(fixture('inventories', 'invalid-typo.yaml'), builtinActions);
  assert.deepEqual(
    inventoryIssues.map((i) => `${i.line}:${i.col} ${i.path}`),
    ['6:17 groups.masters.hosts[1]', '9:5 hosts.m1.adress', '10:11 hosts.m1.port'],
  );
});

test('unknown kind, YAML errors and unreadable files come back as issues, not throws', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'drbook-validate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'k.yaml'), 'apiVersion: drbook/v1\nkind: Playbook\n');
  const [kindIssue] = await validateFile(join(dir, 'k.yaml'), builtinActions);
  assert.deepEqual([kindIssue!.line, kindIssue!.col, kindIssue!.path], [2, 7, 'kind']);
  assert.match(kindIssue!.message, /expected `kind: Runbook` or `kind: Inventory`, got "Playbook"/);
  const [syntax] = await validateFile(fixture('runbooks', 'invalid', 'yaml-syntax.yaml'), builtinActions);
  assert.match(syntax!.message, /YAML syntax error/);
  const [missing] = await validateFile(join(dir, 'nope.yaml'), builtinActions);
  assert.match(missing!.message, /cannot read the file: no such file$/);
});
