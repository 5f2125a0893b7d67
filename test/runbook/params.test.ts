import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import type { Host } from '../../src/core/inventory.js';
import { coerceParam, loadSecretFromEnv, parseParamFlags, resolveParams, secretParamNames } from '../../src/runbook/params.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { builtinActions } from '../../src/actions/registry.js';

const runbook = parseRunbook(
  `apiVersion: drbook/v1
kind: Runbook
metadata: {name: p}
params:
  snapshot: {type: path, required: true}
  dataDir: {type: path, default: /var/lib/etcd}
  members: {type: number, default: 1}
  force: {type: boolean, default: false}
  label: {type: string}
  token: {type: string, secret: true}
steps:
  - {id: a, name: A, run: "true"}
`,
  'p.yaml',
  builtinActions,
);

const host = (vars: Record<string, unknown> = {}): Host => ({ name: 'm1', connection: 'ssh', ssh: {}, vars, groups: [] });

test('precedence: -p > host vars > default', () => {
  const h = host({ dataDir: '/data/etcd', members: 3, snapshot: '/host/snap.db' });
  assert.deepEqual(resolveParams(runbook, {}, h, {}), { snapshot: '/host/snap.db', dataDir: '/data/etcd', members: 3, force: false });
  assert.deepEqual(resolveParams(runbook, { snapshot: '/cli/snap.db', members: '5' }, h, {}), { snapshot: '/cli/snap.db', dataDir: '/data/etcd', members: 5, force: false });
  assert.deepEqual(resolveParams(runbook, { snapshot: '/s' }, host(), {}), { snapshot: '/s', dataDir: '/var/lib/etcd', members: 1, force: false });
});

test('a secret param may come from DRBOOK_PARAM_<NAME>; -p still wins', () => {
  const env = { DRBOOK_PARAM_TOKEN: 'from-env' };
  assert.equal(loadSecretFromEnv('token', env), 'from-env');
  assert.equal(resolveParams(runbook, { snapshot: '/s' }, host({ token: 'from-vars' }), env).token, 'from-env');
  assert.equal(resolveParams(runbook, { snapshot: '/s', token: 'from-cli' }, host(), env).token, 'from-cli');
  // not for a param that is not secret
  assert.equal(resolveParams(runbook, { snapshot: '/s' }, host(), { DRBOOK_PARAM_LABEL: 'x' }).label, undefined);
  assert.deepEqual([...secretParamNames(runbook)], ['token']);
});

test('coercion of strings to the declared type', () => {
  for (const [text, value] of [
    ['true', true],
    ['YES', true],
    ['1', true],
    ['no', false],
    ['0', false],
    ['False', false],
  ] as const) {
    assert.equal(resolveParams(runbook, { snapshot: '/s', force: text }, host(), {}).force, value, text);
  }
  assert.equal(resolveParams(runbook, { snapshot: '/s', members: '2.5' }, host(), {}).members, 2.5);
  assert.equal(resolveParams(runbook, { snapshot: '/s', label: '007' }, host(), {}).label, '007');
  assert.deepEqual(coerceParam({ type: 'string', required: false, secret: false }, 12), { value: '12' });
  assert.deepEqual(coerceParam({ type: 'number', required: false, secret: false }, ' '), { expected: 'a number' });
});

test('missing required, bad values and undeclared -p are InputErrors naming the param', () => {
  const messages = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      assert.ok(error instanceof InputError);
      return error.message;
    }
    assert.fail('expected an InputError');
  };
  assert.match(
    messages(() => resolveParams(runbook, {}, host(), {})),
    /param `snapshot` is required on host m1 \(expected a path\); give it with -p snapshot=\.\.\./,
  );
  const bad = messages(() => resolveParams(runbook, { snapshot: '', members: 'three', force: 'maybe' }, host(), {}));
  assert.match(bad, /param `snapshot` from -p snapshot: expected a non-empty path, got ""/);
  assert.match(bad, /param `members` from -p members: expected a number, got "three"/);
  assert.match(bad, /param `force` from -p force: expected a boolean: true\/false, yes\/no, 1\/0, got "maybe"/);
  assert.match(
    messages(() => resolveParams(runbook, { snapshot: '/s', members: 'x' }, host(), {})),
    /^p\.yaml: param `members`/,
  );
  assert.match(
    messages(() => resolveParams(runbook, { snapshot: '/s' }, host({ members: [1] }), {})),
    /param `members` from host var `members` of host m1: expected a number, got \[1\]/,
  );
  assert.match(
    messages(() => resolveParams(runbook, { snapshot: '/s', snapshto: 'x' }, host(), {})),
    /-p snapshto: the runbook declares no param `snapshto` \(did you mean `snapshot`\?\); declared params: snapshot, dataDir, members, force, label, token/,
  );
  // a secret value is never echoed in an error
  const secretRunbook = { ...runbook, params: { ...runbook.params, token: { type: 'number' as const, required: false, secret: true } } };
  const secretMessage = messages(() => resolveParams(secretRunbook, { snapshot: '/s', token: 'hunter2' }, host(), {}));
  assert.ok(!secretMessage.includes('hunter2'), secretMessage);
});

test('parseParamFlags: name=value, values may contain =', () => {
  assert.deepEqual(parseParamFlags(['a=1', 'url=http://x/?q=1&r=2', 'empty=']), { a: '1', url: 'http://x/?q=1&r=2', empty: '' });
  assert.throws(() => parseParamFlags(['novalue']), /-p novalue: expected NAME=VALUE/);
  assert.throws(() => parseParamFlags(['=x']), /expected NAME=VALUE/);
  assert.throws(() => parseParamFlags(['a=1', 'a=2']), /-p a is given twice/);
});

test('a secret too short to be masked is refused when parameters are resolved, saying why, without showing it', () => {
  for (const [value, from] of [
    ['ab', { cli: true }],
    ['xyz', { env: true }],
    ['  a  ', { vars: true }],
  ] as const) {
    const cli: Record<string, string> = 'cli' in from ? { snapshot: '/s', token: value } : { snapshot: '/s' };
    const env = 'env' in from ? { DRBOOK_PARAM_TOKEN: value } : {};
    const vars = 'vars' in from ? { token: value } : {};
    assert.throws(
      () => resolveParams(runbook, cli, host(vars), env),
      (error: Error) => /secret param `token` from .* is refused: a secret must have at least 4 characters other than spaces/.test(error.message) && !error.message.includes(`${value}"`),
    );
  }
  assert.equal(resolveParams(runbook, { snapshot: '/s', token: 'abcd' }, host(), {}).token, 'abcd');
  assert.equal(resolveParams(runbook, { snapshot: '/s', token: '' }, host(), {}).token, '', 'an empty secret hides nothing');
});
