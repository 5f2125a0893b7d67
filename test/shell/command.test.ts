import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Secret, secretVariable, sh } from '../../src/shell/command.js';

const run = (script: string, env: Record<string, string> = {}) => spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { ...process.env, ...env } }).stdout;

test('secret parts are environment references; their values are in secretEnv() only', () => {
  const command = sh`printf '%s|' ${new Secret('token', "it's $(x)")} ${'plain'}`;
  assert.equal(command.toShell(), `printf '%s|' "\${DRBOOK_SECRET_token?}" plain`);
  assert.deepEqual(command.secretEnv(), { DRBOOK_SECRET_token: "it's $(x)" });
  assert.equal(run(command.toShell(), command.secretEnv()), "it's $(x)|plain|");
  assert.equal(command.toDisplay(), "printf '%s|' *** plain");
  assert.equal(secretVariable('odd-name'), `DRBOOK_SECRET_X${Buffer.from('odd-name').toString('hex')}`);
});

test("a secret inside an argument (an action's path made of a secret param) becomes a secret part by name, the argument still one word", () => {
  const command = sh`printf '<%s>' ${'/tmp/a-secret-value/x y/a-secret-value'} ${'other'}`;
  const cut = command.withSecrets({ token: 'a-secret-value', unused: 'not-there' });
  assert.equal(cut.toShell(), `printf '<%s>' /tmp/"\${DRBOOK_SECRET_token?}"'/x y/'"\${DRBOOK_SECRET_token?}" other`);
  assert.equal(run(cut.toShell(), cut.secretEnv()), run(command.toShell()));
  assert.equal(cut.toDisplay(), "printf '<%s>' /tmp/***'/x y/'*** other");
  assert.deepEqual(
    cut.toRecord().filter((p) => p.t === 'secret'),
    [
      { t: 'secret', name: 'token' },
      { t: 'secret', name: 'token' },
    ],
  );
  assert.equal(command.withSecrets({ token: 'absent-value' }), command, 'unchanged when no argument holds a secret');
  assert.equal(run(sh`printf '<%s>' ${'whole-secret'}`.withSecrets({ t: 'whole-secret' }).toShell(), { DRBOOK_SECRET_t: 'whole-secret' }), '<whole-secret>');
});

test('two different values for one secret name in one command are refused', () => {
  assert.throws(() => sh`${new Secret('a', 'one1')} ${new Secret('a', 'two2')}`.secretEnv(), /two different values/);
});
