// Whoever opens the transports closes them: the engine, on every path of a run, a plan
// and a later rollback (a return, a failure, an interrupt, a throw).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../src/core/events.js';
import { executePlan } from '../../src/engine/plan.js';
import { executeRun } from '../../src/engine/run.js';
import { buildRunRequest } from '../../src/engine/run-request.js';
import { withTransportPool } from '../../src/engine/transport-owner.js';
import type { Host } from '../../src/core/inventory.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { builtinActions } from '../../src/actions/registry.js';
import { openTransportPool } from '../../src/transport/pool.js';
import type { TransportPool } from '../../src/core/transport.js';

/** A real local pool that counts how often it is opened and closed. */
function countingPool() {
  const count = { opened: 0, closed: 0 };
  const openPool = async (hosts: Host[]): Promise<TransportPool> => {
    count.opened++;
    const pool = await openTransportPool(hosts);
    return { get: (name) => pool.get(name), closeAll: async () => void count.closed++ };
  };
  return { count, openPool };
}

test('withTransportPool closes the pool after the work returns and after it throws, and passes the result or error on', async () => {
  const { count, openPool } = countingPool();
  assert.equal(await withTransportPool({ hosts: [], openPool }, async () => 42), 42);
  await assert.rejects(
    withTransportPool({ hosts: [], openPool }, async () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.deepEqual(count, { opened: 2, closed: 2 });
});

async function request(t: { after: (fn: () => Promise<void>) => void }, steps: string, interrupt = new AbortController().signal, params = '') {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-owner-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const host: Host = { name: 'local', connection: 'local', ssh: {}, vars: {}, groups: [], hostStateDir: join(dir, 'host-state') };
  const { count, openPool } = countingPool();
  const built = buildRunRequest({
    runbook: parseRunbook(`apiVersion: drbook/v1\nkind: Runbook\nmetadata: { name: t }\n${params}steps:\n${steps.replaceAll('DIR', dir)}`, join(dir, 'r.yaml'), builtinActions),
    inventory: { hosts: { local: host }, groups: {} },
    hosts: [host],
    cliParams: {},
    stateDir: join(dir, 'state'),
    openPool,
    bus: new EventBus(),
    interrupt,
    confirm: async () => true,
  });
  return { built, count };
}

test('a run closes its pool once whether it succeeds or fails and rolls back; a plan too, also when interrupted', async (t) => {
  const ok = await request(t, '  - { id: a, name: A, run: "true" }\n');
  assert.equal((await executeRun(ok.built)).exitCode, 0);
  assert.deepEqual(ok.count, { opened: 1, closed: 1 });

  const failing = await request(t, '  - { id: a, name: A, run: "touch DIR/x", rollback: "rm -f DIR/x" }\n  - { id: b, name: B, run: "false" }\n');
  const outcome = await executeRun(failing.built);
  assert.deepEqual([outcome.exitCode, outcome.state], [1, 'rolled-back']);
  assert.deepEqual(failing.count, { opened: 1, closed: 1 });

  const stop = new AbortController();
  stop.abort('SIGINT');
  const planned = await request(t, '  - { id: a, name: A, run: "true" }\n', stop.signal);
  assert.equal((await executePlan(planned.built)).exitCode, 130);
  assert.deepEqual(planned.count, { opened: 1, closed: 1 });
});

test('a request refused before the run begins (bad parameters) opens no transport at all', async (t) => {
  const bad = await request(t, '  - { id: a, name: A, run: "echo {{ params.need }}" }\n', undefined, 'params:\n  need: { type: string, required: true }\n');
  await assert.rejects(executeRun(bad.built), /param `need` is required/);
  await assert.rejects(executePlan(bad.built), /param `need` is required/);
  assert.deepEqual(bad.count, { opened: 0, closed: 0 });
});
