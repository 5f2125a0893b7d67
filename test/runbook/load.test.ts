import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { InputError, type InputIssue } from '../../src/core/errors.js';
import { loadRunbook, parseRunbook } from '../../src/runbook/load.js';
import { builtinActions } from '../../src/actions/registry.js';
import { fixture } from './helpers.js';

async function issuesOf(file: string): Promise<InputIssue[]> {
  try {
    await loadRunbook(file, builtinActions);
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail(`${file} loaded, but it is invalid`);
}

// Each invalid fixture: the exact place, key path and the gist of the message.
const expected: Record<string, Array<{ line: number; col: number; path?: string; message: RegExp }>> = {
  'typo-key.yaml': [{ line: 9, col: 5, path: 'steps[0].tmeout', message: /unknown key `tmeout` \(did you mean `timeout`\?\)/ }],
  'wrong-type.yaml': [{ line: 9, col: 14, path: 'steps[0].retries', message: /whole number ≥ 0, got a string \("many"\)/ }],
  'missing-id.yaml': [{ line: 9, col: 5, path: 'steps[1].id', message: /missing required key `id`/ }],
  'duplicate-id.yaml': [{ line: 9, col: 9, path: 'steps[1].id', message: /duplicate step id `one` \(first used at line 6\)/ }],
  'unknown-action.yaml': [{ line: 8, col: 11, path: 'steps[0].uses', message: /unknown action `shel` \(did you mean `shell`\?\); known actions: .*shell/ }],
  'unknown-template-var.yaml': [{ line: 12, col: 16, path: 'steps[0].run', message: /unknown param `snapshto`.*did you mean `params.snapshot`/ }],
  'yaml-syntax.yaml': [{ line: 7, col: 11, message: /YAML syntax error: Nested mappings/ }],
};

for (const [name, want] of Object.entries(expected)) {
  test(`invalid fixture ${name}: file:line:col, path and message`, async () => {
    const file = fixture('runbooks', 'invalid', name);
    const issues = await issuesOf(file);
    assert.equal(issues.length, want.length, JSON.stringify(issues, null, 1));
    want.forEach((w, i) => {
      const got = issues[i]!;
      assert.equal(got.file, file);
      assert.deepEqual([got.line, got.col], [w.line, w.col], got.message);
      if (w.path) assert.equal(got.path, w.path);
      assert.match(got.message, w.message);
    });
  });
}

test('every invalid fixture is covered by a test above', () => {
  assert.deepEqual(readdirSync(fixture('runbooks', 'invalid')).sort(), Object.keys(expected).sort());
});

test('the InputError message carries file:line:col for the CLI', async () => {
  const file = fixture('runbooks', 'invalid', 'typo-key.yaml');
  await assert.rejects(loadRunbook(file, builtinActions), (error: Error) => error.message.startsWith(`${file}:9:5: steps[0].tmeout: unknown key`));
});

test('valid fixtures load; run: steps become uses: shell', async () => {
  for (const name of readdirSync(fixture('runbooks', 'valid'))) {
    const runbook = await loadRunbook(fixture('runbooks', 'valid', name), builtinActions);
    assert.equal(runbook.apiVersion, 'drbook/v1');
    assert.ok(runbook.steps.length > 0);
    assert.match(runbook.sha256, /^[0-9a-f]{64}$/);
  }
  const runbook = await loadRunbook(fixture('runbooks', 'valid', 'swap-dirs.yaml'), builtinActions);
  assert.equal(runbook.targets, 'local');
  assert.deepEqual(runbook.params.root, { type: 'path', required: true, secret: false, description: 'Folder holding current/ and next/' });
  assert.deepEqual(runbook.params.token, { type: 'string', required: false, secret: true, default: 'not-a-real-token' });
  const [check, stash, promote, notify] = runbook.steps;
  assert.deepEqual(check!.with, { run: 'test -d {{ params.root }}/current && test -d "{{ params.root }}/next"' });
  assert.equal(check!.uses, 'shell');
  assert.equal(check!.timeoutMs, 5000);
  assert.equal(check!.retries, 0);
  assert.deepEqual(check!.source, { file: fixture('runbooks', 'valid', 'swap-dirs.yaml'), line: 24, col: 5 });
  assert.equal(stash!.retries, 2);
  assert.equal(stash!.retryDelayMs, 500);
  assert.equal(stash!.with.rollback, 'mv -- {{ params.root }}/old-{{ run.id }} {{ params.root }}/current');
  assert.equal(promote!.uses, 'shell');
  assert.equal(typeof promote!.with.run, 'string');
  assert.equal(notify!.when, '{{ params.keep }}');
  assert.equal(notify!.timeoutMs, 60_000);
});

test('targets defaults to local; when: true is dropped, when: false kept', () => {
  const runbook = parseRunbook(
    [
      'apiVersion: drbook/v1',
      'kind: Runbook',
      'metadata: {name: t}',
      'steps:',
      '  - {id: a, name: A, run: "true", when: true}',
      '  - {id: b, name: B, run: "true", when: false, timeout: 1.5, serial: 1, onHosts: [m1]}',
    ].join('\n'),
    'inline.yaml',
    builtinActions,
  );
  assert.equal(runbook.targets, 'local');
  assert.equal(runbook.steps[0]!.when, undefined);
  assert.equal(runbook.steps[1]!.when, 'false');
  assert.equal(runbook.steps[1]!.timeoutMs, 1500);
  assert.equal(runbook.steps[1]!.serial, 1);
  assert.deepEqual(runbook.steps[1]!.onHosts, ['m1']);
});

function issuesOfText(text: string): InputIssue[] {
  try {
    parseRunbook(text, 'x.yaml', builtinActions);
  } catch (error) {
    assert.ok(error instanceof InputError);
    return error.issues;
  }
  assert.fail('expected the runbook to be invalid');
}

const head = 'apiVersion: drbook/v1\nkind: Runbook\nmetadata:\n  name: t\n';

test('all issues are collected at once, in reading order', () => {
  const issues = issuesOfText(
    'apiVersion: drbook/v2\nkind: Runbook\nmetdata:\n  name: t\nsteps:\n  - id: Bad Id\n    name: x\n    run: "true"\n    uses: shell\n  - id: b\n    name: y\n    timeout: soon\n',
  );
  const lines = issues.map((i) => `${i.line}:${i.col} ${i.path ?? ''} ${i.message}`);
  assert.equal(issues.length, 7, lines.join('\n'));
  assert.match(lines[1]!, /^1:13 apiVersion expected "drbook\/v1", got a string \("drbook\/v2"\)/);
  assert.match(lines[2]!, /^3:1 metdata unknown key `metdata` \(did you mean `metadata`\?\)/);
  assert.match(lines.join('\n'), /^1:1 metadata missing required key `metadata`/m);
  assert.match(lines.join('\n'), /^6:9 steps\[0\]\.id expected a step id/m);
  assert.match(lines.join('\n'), /^8:10 steps\[0\]\.run a step has either `uses:` or `run:`, not both/m);
  assert.match(lines.join('\n'), /^10:5 steps\[1\] a step needs `uses:`/m);
  assert.match(lines.join('\n'), /^12:14 steps\[1\]\.timeout expected a duration like "500ms", "30s", "5m", "1m30s", or a number of seconds, got a string \("soon"\)$/m);
  // sorted by line then column
  const order = issues.map((i) => (i.line ?? 0) * 1000 + (i.col ?? 0));
  assert.deepEqual(
    order,
    [...order].sort((a, b) => a - b),
  );
});

test('a step without uses or run, rollback without run, with without uses', () => {
  const issues = issuesOfText(`${head}steps:\n  - id: a\n    name: A\n  - id: b\n    name: B\n    uses: shell\n    with: {run: "true"}\n    rollback: "false"\n`);
  const text = issues.map((i) => `${i.line}:${i.col} ${i.message}`).join('\n');
  assert.match(text, /^6:5 a step needs `uses:` \(a built-in action\) or `run:`/m);
  assert.match(text, /^12:15 `rollback:` goes with `run:`/m);
});

test('check: goes with run: (an action declares its own checks); with run: it is a command template, quoted like run:', () => {
  const issues = issuesOfText(
    `${head}steps:\n  - id: a\n    name: A\n    uses: confirm\n    with: {message: ok}\n    check: echo applied\n  - id: b\n    name: B\n    run: "true"\n    check: echo \`cat {{ params.nope }}\`\n`,
  );
  const text = issues.map((i) => `${i.line}:${i.col} ${i.message}`).join('\n');
  assert.match(text, /^10:12 `check:` goes with `run:`; an action declares its own checks/m);
  assert.match(text, /^14:\d+ .*params\.nope/m, 'its templates are checked at load like run:');
  const runbook = parseRunbook(`${head}steps:\n  - id: b\n    name: B\n    run: "touch /x"\n    check: "test -e /x && echo applied || echo reverted"\n`, 'c.yaml', builtinActions);
  assert.equal(runbook.steps[0]!.with.check, 'test -e /x && echo applied || echo reverted');
});

test('param defaults must match their type', () => {
  const issues = issuesOfText(
    `${head}params:\n  n:\n    type: number\n    default: "3"\n  p:\n    type: path\n    default: ""\n  bad-name:\n    type: string\nsteps:\n  - {id: a, name: A, run: "true"}\n`,
  );
  const text = issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`).join('\n');
  assert.match(text, /^8:14 params\.n\.default the default of a number param must be a number/m);
  assert.match(text, /^11:14 params\.p\.default the default of a path param must not be empty/m);
  assert.match(text, /params\.bad-name invalid key name/m);
});

test('an unquoted template is named as such', () => {
  const issues = issuesOfText(`${head}steps:\n  - id: a\n    name: A\n    run: {{ params.x }}\n`);
  assert.ok(
    issues.some((i) => i.line === 8 && i.col === 10 && /must be quoted in YAML/.test(i.message)),
    JSON.stringify(issues),
  );
});

test('an empty file and a non-mapping are refused with a place', () => {
  assert.match(issuesOfText('')[0]!.message, /expected a runbook/);
  assert.match(issuesOfText('- a\n- b\n')[0]!.message, /expected a runbook/);
});

test('an inventory passed as a runbook is named', () => {
  assert.match(issuesOfText('apiVersion: drbook/v1\nkind: Inventory\nhosts: {}\n')[0]!.message, /this is an inventory/);
});

test('a missing file is an InputError naming it', async () => {
  await assert.rejects(
    loadRunbook('/nonexistent/runbook.yaml', builtinActions),
    (error: Error) => error instanceof InputError && /\/nonexistent\/runbook.yaml: cannot read the runbook: no such file$/m.test(error.message),
  );
});
