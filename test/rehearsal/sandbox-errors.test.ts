import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SandboxError, SandboxInputError } from '@drbook/sandbox';
import { DrbookError, InputError } from '../../src/core/errors.js';
import { asDrbookError, rethrowAsDrbookError } from '../../src/rehearsal/sandbox-errors.js';

test('a sandbox error becomes the DrbookError the CLI prints: same kind, message, node and hint', () => {
  const input = asDrbookError(new SandboxInputError('--nodes: expected a whole number from 1 to 9, got 0', 'try --nodes 3'));
  assert.ok(input instanceof InputError);
  assert.equal(input.message, '--nodes: expected a whole number from 1 to 9, got 0');
  assert.equal(input.hint, 'try --nodes 3');
  const original = new SandboxError('timeout', 'etcd on node2 did not become ready within 90 s', { host: 'node2', hint: 'read etcd.log' });
  const timeout = asDrbookError(original);
  assert.ok(timeout instanceof DrbookError && !(timeout instanceof InputError));
  assert.equal(timeout.kind, 'timeout');
  assert.equal(timeout.host, 'node2');
  assert.equal(timeout.describe(), '[host node2] etcd on node2 did not become ready within 90 s\n  hint: read etcd.log');
  assert.equal(timeout.cause, original);
  const other = new Error('not the sandbox');
  assert.equal(asDrbookError(other), other);
  assert.throws(
    () => rethrowAsDrbookError(original),
    (error: unknown) => error instanceof DrbookError && error.kind === 'timeout',
  );
});
