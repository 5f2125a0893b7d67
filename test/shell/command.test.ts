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

test('an argument that holds a secret (an action\'s path made of a secret param) travels in the environment too, same word', () => {
  const command = sh`printf '%s|' ${'/tmp/a-secret-value/x y'} ${'other'}`;
  const moved = command.withSecretArgsInEnv(['a-secret-value']);
  assert.ok(!moved.toShell().includes('a-secret-value'), moved.toShell());
  assert.equal(run(moved.toShell(), moved.secretEnv()), run(command.toShell()));
  assert.equal(command.withSecretArgsInEnv(['absent-value']), command, 'unchanged when no argument holds a secret');
  assert.deepEqual(moved.toRecord().map((p) => p.t), ['lit', 'secret', 'lit', 'arg']);
});

test('two different values for one secret name in one command are refused', () => {
  assert.throws(() => sh`${new Secret('a', 'one1')} ${new Secret('a', 'two2')}`.secretEnv(), /two different values/);
});
