import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRehearsalNodes, rehearsalTransport } from '../../src/rehearsal/rehearse.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { builtinActions } from '../../src/actions/registry.js';
import { REPO_ROOT } from '../support/fixtures.js';

test('a runbook for the master itself is rehearsed on one local node, a multi-master one on three over SSH', async () => {
  const single = await loadRunbook(`${REPO_ROOT}/runbooks/etcd-restore.yaml`, builtinActions);
  const ha = await loadRunbook(`${REPO_ROOT}/runbooks/etcd-restore-ha.yaml`, builtinActions);
  assert.equal(defaultRehearsalNodes(single), 1);
  assert.equal(defaultRehearsalNodes(ha), 3);
  assert.equal(rehearsalTransport(defaultRehearsalNodes(single)), 'local');
  assert.equal(rehearsalTransport(defaultRehearsalNodes(ha)), 'ssh');
  assert.equal(rehearsalTransport(3, 'local'), 'local');
  assert.equal(rehearsalTransport(1, 'ssh'), 'ssh');
});
