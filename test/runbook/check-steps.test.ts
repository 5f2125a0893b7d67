// Load-time checks of `with:` (against each action's own schema, tolerating
// templates) and of every template reference, each with its exact line:col.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, type InputIssue } from '../../src/core/errors.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { builtinActions } from '../../src/actions/registry.js';

const head = [
  'apiVersion: drbook/v1',
  'kind: Runbook',
  'metadata:',
  '  name: t',
  'params:',
  '  src:',
  '    type: path',
  '    default: /a',
  '  force:',
  '    type: boolean',
  '    default: false',
  'steps:',
];
// Line numbers below count from the first step line: line 13.

function issuesOf(steps: string[]): InputIssue[] {
  try {
    parseRunbook([...head, ...steps, ''].join('\n'), 'r.yaml', builtinActions);
  } catch (error) {
    assert.ok(error instanceof InputError, String(error));
    return error.issues;
  }
  return [];
}

const show = (issues: InputIssue[]): string => issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`).join('\n');

test("with: is checked against the action's schema, templates tolerated", () => {
  const issues = issuesOf([
    '  - id: move',
    '    name: Move',
    '    uses: file.move',
    '    with:',
    '      from: "{{ params.src }}"',
    '      overwrite: "{{ params.force }}"',
    '      dest: /b',
    '  - id: move2',
    '    name: Move again',
    '    uses: file.move',
    '    with:',
    '      from: 5',
    '      to: /b',
    '      overwrite: "yes"',
  ]);
  const text = show(issues);
  assert.equal(issues.length, 4, text);
  assert.match(text, /^16:5 steps\[0\]\.with\.to missing required key `to`/m); // at the `with:` key: `to` is missing
  assert.match(text, /^19:7 steps\[0\]\.with\.dest unknown key `dest` \(known: from, to, overwrite\)/m);
  assert.match(text, /^24:13 steps\[1\]\.with\.from expected a string, got a number \(5\)/m);
  assert.match(text, /^26:18 steps\[1\]\.with\.overwrite expected a boolean \(true or false\), got a string \("yes"\)/m);
});

test('command fields must be strings; a templated command is fine', () => {
  const issues = issuesOf([
    '  - id: a',
    '    name: A',
    '    uses: shell',
    '    with:',
    '      run: 42',
    '  - id: b',
    '    name: B',
    '    uses: shell',
    '    with:',
    '      run: cp {{ params.src }} /b',
    '      rollback: rm -f /b',
    '      rollbak: oops',
  ]);
  const text = show(issues);
  assert.equal(issues.length, 2, text);
  assert.match(text, /^17:12 steps\[0\]\.with\.run expected a shell command \(a string\), got a number \(42\)/m);
  assert.match(text, /^24:7 steps\[1\]\.with\.rollbak unknown key `rollbak` \(did you mean `rollback`\?\)/m);
});

test('template references are checked at load, each at its own line:col', () => {
  const issues = issuesOf([
    '  - id: a',
    '    name: Copy {{ params.srcc }}',
    '    run: cp {{ params.src }} {{ host.nmae }} && echo {{ params.src.x }}',
    '    when: "{{ run.idd }}"',
    '  - id: b',
    '    name: B',
    '    uses: file.move',
    '    with:',
    '      from: "{{ params.src | raw }}"',
    '      to: "{{ host.vars.dest }}"',
  ]);
  const text = show(issues);
  assert.equal(issues.length, 5, text);
  assert.match(text, /^14:16 steps\[0\]\.name unknown param `srcc` .*did you mean `params.src`/m);
  assert.match(text, /^15:30 steps\[0\]\.run unknown template variable `host.nmae`/m);
  assert.match(text, /^15:54 steps\[0\]\.run params are plain values: `params.src` has no field `x`/m);
  assert.match(text, /^16:12 steps\[0\]\.when unknown template variable `run.idd`/m);
  assert.match(text, /^21:14 steps\[1\]\.with\.from `\| raw` only applies to shell commands/m);
});

test('unsafe shell contexts and unclosed quotes are load-time errors', () => {
  const issues = issuesOf([
    '  - id: a',
    '    name: A',
    '    run: echo `cat {{ params.src }}`',
    '  - id: b',
    '    name: B',
    '    run: |',
    '      cat <<EOF',
    '      {{ params.src }}',
    '      EOF',
    '  - id: c',
    '    name: C',
    '    run: echo "unclosed {{ params.src }}',
    '    rollback: echo {{ params.src | raw }} ok',
  ]);
  const text = show(issues);
  assert.equal(issues.length, 3, text);
  assert.match(text, /^15:20 steps\[0\]\.run `\{\{ params.src \}\}` cannot be quoted safely inside backticks/m);
  assert.match(text, /^20:7 steps\[1\]\.run `\{\{ params.src \}\}` cannot be quoted safely inside a here-document/m);
  assert.match(text, /^24:10 steps\[2\]\.run the command does not parse: a " quote is never closed/m);
});

test('onHosts takes names as written, not templates', () => {
  const issues = issuesOf(['  - id: a', '    name: A', '    run: "true"', '    onHosts: [m1, "{{ params.src }}"]']);
  assert.equal(show(issues), '16:19 steps[0].onHosts[1] `onHosts` lists host or group names as written; templates are not rendered here');
});
