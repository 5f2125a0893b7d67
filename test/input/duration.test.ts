// Durations that reach a timer: Node's setTimeout holds at most 2^31-1 ms and fires at
// once for more, so longer ones are refused at load (file:line:col, what is allowed)
// and the longest allowed one really waits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from '../../src/core/events.js';
import { executeRun } from '../../src/engine/run.js';
import { InputError } from '../../src/core/errors.js';
import type { Host } from '../../src/core/inventory.js';
import { parseInventory } from '../../src/inventory/load.js';
import { durationTooLong, MAX_TIMER_MS, parseDuration } from '../../src/input/duration.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { builtinActions } from '../../src/actions/registry.js';

const HEADER = 'apiVersion: drbook/v1\nkind: Runbook\nmetadata: { name: t }\nsteps:\n';

function issuesOf(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof InputError, String(error));
    return error.message;
  }
  assert.fail('expected an InputError');
}

test("the limit is the timer's", () => {
  assert.equal(MAX_TIMER_MS, 2147483647);
  assert.equal(durationTooLong(parseDuration('596h')!), undefined);
  assert.match(durationTooLong(parseDuration('597h')!)!, /at most 596h31m23s/);
});

test('every duration that reaches a timer is refused above it at load, with its place', () => {
  const yaml = `${HEADER}  - { id: a, name: A, run: "true", timeout: 600h, retryDelay: 1000000000 }
  - { id: b, name: B, uses: wait, with: { command: "true", interval: 2s, timeout: 30000h } }
  - { id: c, name: C, uses: static-pods.stop, with: { timeout: 999999h } }
  - { id: d, name: D, run: "true", timeout: 596h, retryDelay: 1h }
`;
  const message = issuesOf(() => parseRunbook(yaml, 'long.yaml', builtinActions));
  assert.match(message, /^long\.yaml:5:45: steps\[0\]\.timeout: expected a duration of at most 596h31m23s \(about 24\.8 days: the longest wait a timer can hold\), got a string \("600h"\)$/m);
  assert.match(message, /^long\.yaml:5:63: steps\[0\]\.retryDelay: expected a duration of at most 596h31m23s/m);
  assert.match(message, /^long\.yaml:6:.*steps\[1\]\.with\.timeout: expected a duration of at most/m);
  assert.match(message, /^long\.yaml:7:.*steps\[2\]\.with\.timeout: expected a duration of at most/m);
  assert.doesNotMatch(message, /steps\[3\]/);
  const inventory = 'apiVersion: drbook/v1\nkind: Inventory\nhosts:\n  m1: { address: 10.0.0.1, connectTimeout: 9000h }\n';
  assert.match(
    issuesOf(() => parseInventory(inventory, 'inv.yaml')),
    /inv\.yaml:4:.*connectTimeout: expected a duration of at most 596h31m23s/,
  );
});

test('the longest timeout allowed does not cut a step short', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-long-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const runbook = parseRunbook(
    `${HEADER}  - { id: a, name: A, run: "sleep 0.3", timeout: 596h }\n  - { id: b, name: B, uses: wait, with: { command: "sleep 0.2", timeout: 596h } }\n`,
    join(dir, 'r.yaml'),
    builtinActions,
  );
  assert.equal(runbook.steps[0]!.timeoutMs, 596 * 3_600_000);
  // The host lock and run markers go in the test's folder (as root the default would be /var/lib/drbook).
  const hosts: Host[] = [{ name: 'local', connection: 'local', ssh: {}, vars: {}, groups: [], hostStateDir: join(dir, 'host-state') }];
  const outcome = await executeRun({
    runbook,
    inventory: { hosts: { local: hosts[0]! }, groups: {} },
    hosts,
    cliParams: {},
    stateDir: join(dir, 'state'),
    bus: new EventBus(),
    interrupt: new AbortController().signal,
    confirm: async () => true,
    runId: 'long-timeout',
    startedAt: new Date().toISOString(),
    rollbackOnFailure: true,
    onInterrupt: 'rollback',
  });
  assert.equal(outcome.exitCode, 0, outcome.error);
});
