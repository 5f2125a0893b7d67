// Nesting too deep is refused as such, at its place, in runbooks and inventories, in
// block and flow style and through aliases; 64 levels are fine. Duplicate keys are
// still found (by drbook's own linear check) where the YAML library found them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateText } from '../../src/runbook/validate.js';
import { builtinActions } from '../../src/actions/registry.js';
import { formatIssue } from '../../src/core/errors.js';
import { MAX_NESTING } from '../../src/input/yaml-bounds.js';

const RUNBOOK = 'apiVersion: drbook/v1\nkind: Runbook\nmetadata: { name: t }\nsteps:\n  - id: a\n    name: A\n    uses: wait\n    with:\n      command: "true"\n';
const lines = (text: string, file = 'deep.yaml') => validateText(text, file, builtinActions).map(formatIssue);

test('deep flow nesting in a runbook is refused at the place it gets too deep, whatever the depth', () => {
  for (const depth of [MAX_NESTING + 1, 2_000, 100_000]) {
    const text = `${RUNBOOK}      extra: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
    const found = lines(text);
    assert.equal(found.length, 1, found.join('\n'));
    // `extra` sits 4 levels down (runbook, steps, step, with); the first list is level 5.
    assert.match(found[0]!, new RegExp(`^deep\\.yaml:10:${14 + MAX_NESTING + 1 - 5}: nests deeper than ${MAX_NESTING} levels`));
    assert.doesNotMatch(found[0]!, /call stack/);
  }
});

test('deep block nesting, in an inventory too', () => {
  const block = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 6)}k${i}:`).join('\n');
  const inventory = `apiVersion: drbook/v1\nkind: Inventory\nhosts:\n  m1:\n    vars:\n${block} end\n`;
  const found = lines(inventory, 'inv.yaml');
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /^inv\.yaml:\d+:\d+: nests deeper than 64 levels/);
  const seq = `apiVersion: drbook/v1\nkind: Inventory\nhosts:\n  m1:\n    vars:\n      k:\n        ${'- '.repeat(5000)}x\n`;
  assert.match(lines(seq, 'inv.yaml')[0]!, /^inv\.yaml:7:\d+: nests deeper than 64 levels/);
});

test('exactly the limit is fine', () => {
  // Levels: the document map (1), hosts (2), m1 (3), vars (4), then lists up to the limit.
  const lists = MAX_NESTING - 4;
  const inventory = `apiVersion: drbook/v1\nkind: Inventory\nhosts:\n  m1:\n    vars:\n      k: ${'['.repeat(lists)}1${']'.repeat(lists)}\n`;
  assert.deepEqual(lines(inventory, 'inv.yaml'), []);
  const over = inventory.replace('k: [', 'k: [[').replace(']\n', ']]\n');
  assert.match(lines(over, 'inv.yaml')[0]!, /nests deeper than 64 levels/);
});

test('aliases that stack a shallow document into a deep value are refused too', () => {
  // Each anchor is 30 lists deep: the document never nests beyond 35, the value does.
  const lists = (inner: string) => `${'['.repeat(30)}${inner}${']'.repeat(30)}`;
  const inventory = `apiVersion: drbook/v1\nkind: Inventory\nhosts:\n  m1:\n    vars:\n      a0: &a0 ${lists('1')}\n      a1: &a1 ${lists('*a0')}\n      deep: ${lists('*a1')}\n`;
  const found = lines(inventory, 'inv.yaml');
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0]!, /^inv\.yaml:\d+:\d+: hosts\.m1\.vars\.(a1|deep)(\[0\])+: nests deeper than 64 levels once its aliases are expanded/);
});

test('duplicate keys are still reported where they are', () => {
  const text = 'apiVersion: drbook/v1\nkind: Runbook\nmetadata: {name: a, name: b}\nsteps:\n  - id: a\n    name: x\n    id: b\n    run: "true"\n';
  assert.deepEqual(lines(text, 'dup.yaml'), ['dup.yaml:3:21: YAML syntax error: Map keys must be unique', 'dup.yaml:7:5: YAML syntax error: Map keys must be unique']);
  assert.deepEqual(lines('apiVersion: drbook/v1\nkind: Inventory\nhosts:\n  m1: { vars: { 1: a, "1": b } }\n', 'inv.yaml'), [], 'a number and a string are different keys, as for the library');
});
