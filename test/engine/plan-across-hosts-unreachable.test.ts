// A host that cannot be reached when a step's hosts are compared (planAcrossHosts) is
// reported as itself, unreachable; the others are cancelled, not blamed for it, and the
// action is not asked to compare hosts without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { ActionDefinition } from '../../src/core/action.js';
import { DrbookError } from '../../src/core/errors.js';
import { EventBus } from '../../src/core/events.js';
import type { CompiledStep } from '../../src/engine/compile.js';
import { RunRecorder } from '../../src/engine/recorder.js';
import { runStep } from '../../src/engine/step-runner.js';
import type { Host } from '../../src/core/inventory.js';
import { Masker } from '../../src/shell/masker.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { TransportPool } from '../../src/core/transport.js';

const host = (name: string): Host => ({ name, connection: 'ssh', ssh: {}, vars: {}, groups: [] });

test('an unreachable host during the cross-host phase fails as unreachable; the others are cancelled and nothing is compared', async () => {
  const hosts = ['a', 'b', 'c'].map(host);
  let compared = false;
  const action: ActionDefinition<Record<string, never>> = {
    name: 'test.across',
    summary: 'test',
    schema: z.strictObject({}),
    canSimulate: true,
    async planAcrossHosts() {
      compared = true;
      return { findings: [] };
    },
    async plan() {
      return { simulated: true, findings: [], changes: [] };
    },
  };
  const pool: TransportPool = {
    async get(name) {
      if (name === 'b') throw new DrbookError('unreachable', 'cannot connect to b:22: connection refused', { host: 'b' });
      return new LocalTransport(name);
    },
    async closeAll() {},
  };
  const step = { id: 'across', name: 'Across', uses: action.name, with: {}, retries: 0, retryDelayMs: 0 };
  const compiled: CompiledStep = { step, hosts: hosts.map((h) => ({ step, host: h, action, args: {}, enabled: true })) };
  const env = {
    run: { id: 'r', startedAt: '', dryRun: false, stateDir: '/nonexistent' },
    pool,
    recorder: new RunRecorder(undefined, new EventBus(), new Masker()),
    signal: new AbortController().signal,
    confirm: async () => true,
    nextIndex: new Map(),
  };
  const outcome = await runStep(compiled, env, () => false);
  assert.equal(compared, false, 'hosts are not compared without one of them');
  assert.deepEqual(
    outcome.hosts.map((h) => `${h.host} ${h.state}`),
    ['a cancelled', 'b unreachable', 'c cancelled'],
  );
  assert.match(String(outcome.hosts[1]!.error?.message), /cannot connect to b:22/);
  assert.equal(outcome.hosts[0]!.error, undefined, 'a is not blamed for b');
});
