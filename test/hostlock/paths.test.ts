import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostStateDirOf, lockPlaceOf } from '../../src/hostlock/paths.js';
import type { Host } from '../../src/core/inventory.js';

const local: Host = { name: 'local', connection: 'local', ssh: {}, vars: {}, groups: [] };
const remote: Host = { name: 'm1', connection: 'ssh', ssh: { address: '10.0.0.11' }, vars: {}, groups: [] };

test("where a host keeps its lock and markers: the inventory's hostStateDir, else /var/lib/drbook, else (local, not root) beside the journals", () => {
  const context = { stateDir: '/home/op/.local/state/drbook', env: {} };
  assert.equal(hostStateDirOf({ ...remote, hostStateDir: '/srv/x' }, context), '/srv/x');
  assert.equal(hostStateDirOf(remote, { ...context, isRoot: false }), '/var/lib/drbook');
  assert.equal(hostStateDirOf(local, { ...context, isRoot: true }), '/var/lib/drbook');
  assert.equal(hostStateDirOf(local, { ...context, isRoot: false }), '/home/op/.local/state/drbook/host-state');
  assert.equal(hostStateDirOf(local, { ...context, isRoot: true, env: { DRBOOK_LOCAL_HOST_STATE_DIR: '/tmp/t' } }), '/tmp/t');
  assert.throws(() => hostStateDirOf(local, { ...context, env: { DRBOOK_LOCAL_HOST_STATE_DIR: 'rel' } }), /expected an absolute path/);
});

test('two names for one place share a lock; the same folder on two machines does not', () => {
  assert.equal(lockPlaceOf({ ...local, name: 'a' }, '/x'), lockPlaceOf({ ...local, name: 'b' }, '/x'));
  assert.notEqual(lockPlaceOf(remote, '/x'), lockPlaceOf({ ...remote, ssh: { address: '10.0.0.12' } }, '/x'));
  assert.equal(lockPlaceOf(remote, '/x'), lockPlaceOf({ ...remote, name: 'alias' }, '/x'));
});
