// The verdict protocol of checks: exit 0 and a first line starting with `applied` or
// `reverted`; anything else is "cannot tell", with the check's own words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readVerdict } from '../../src/engine/change-check.js';
import { parseFaults } from '../../src/engine/faults.js';
import type { ExecResult } from '../../src/core/transport.js';

const result = (stdout: string, exitCode: number | null = 0, extra: Partial<ExecResult> = {}): ExecResult => ({
  exitCode,
  stdout,
  stderr: '',
  durationMs: 1,
  timedOut: false,
  cancelled: false,
  ...extra,
});

test('the first word of the first line is the verdict; the rest says why', () => {
  assert.deepEqual(readVerdict(result('applied\n')), { verdict: 'applied', detail: 'applied' });
  assert.deepEqual(readVerdict(result('reverted: /etc/kubernetes/manifests/etcd.yaml holds it again\n')), { verdict: 'reverted', detail: '/etc/kubernetes/manifests/etcd.yaml holds it again' });
  assert.deepEqual(readVerdict(result('applied the data dir is there\nmore\n')), { verdict: 'applied', detail: 'the data dir is there' });
  assert.equal(readVerdict(result('  reverted\n')).verdict, 'reverted', 'surrounding blanks do not matter');
});

test('anything else cannot tell: another word, a longer word, nothing, a non-zero exit, a timeout', () => {
  assert.deepEqual(readVerdict(result('cannot tell: /var/lib/etcd is absent\n')), { verdict: 'unknown', detail: '/var/lib/etcd is absent' });
  assert.equal(readVerdict(result('appliedx\n')).verdict, 'unknown');
  assert.equal(readVerdict(result('Applied\n')).verdict, 'unknown', 'the words are lower case');
  assert.equal(readVerdict(result('maybe\napplied\n')).verdict, 'unknown', 'only the first line counts');
  assert.deepEqual(readVerdict(result('')), { verdict: 'unknown', detail: 'the check printed nothing' });
  const failed = readVerdict(result('applied\n', 1, { stderr: 'stat: cannot stat x\n' }));
  assert.equal(failed.verdict, 'unknown', 'a failing check is never believed');
  assert.match(failed.detail, /exited with 1: stat: cannot stat x/);
  assert.match(readVerdict(result('', null, { timedOut: true })).detail, /timed out/);
});

test('DRBOOK_FAULT: the points it knows, and a typo is an error, not a test that tests nothing', () => {
  assert.deepEqual(parseFaults(undefined), []);
  assert.deepEqual(parseFaults('kill-after-entry:12, kill-before-result:swap-data-dir:node1:0'), [
    { kind: 'kill-after-entry', line: 12 },
    { kind: 'kill-before-result', stepId: 'swap-data-dir', host: 'node1', index: 0 },
  ]);
  assert.deepEqual(parseFaults('enospc-after-entry:3'), [{ kind: 'enospc-after-entry', line: 3 }]);
  assert.throws(() => parseFaults('kill-after-entry'), /cannot read/);
  assert.throws(() => parseFaults('kill-before-result:a:b'), /cannot read/);
  assert.throws(() => parseFaults('kil-after-entry:3'), /cannot read/);
});
