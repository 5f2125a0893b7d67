// The cross-host phase of a step: every host is probed before any is planned, the
// shared value reaches each host's plan, and an error on one host stops the step on all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { ActionDefinition } from '../../src/core/action.js';
import { EventBus, type TimedEvent } from '../../src/core/events.js';
import type { CompiledStep } from '../../src/engine/compile.js';
import { RunRecorder } from '../../src/engine/recorder.js';
import { runStep } from '../../src/engine/step-runner.js';
import type { Host } from '../../src/core/inventory.js';
import { Masker } from '../../src/shell/masker.js';
import { sh } from '../../src/shell/command.js';
import { openTransportPool } from '../../src/transport/pool.js';

const host = (name: string): Host => ({ name, connection: 'local', ssh: {}, vars: {}, groups: [] });

/** Each host reports a "member"; the shared table is all of them; a duplicate is an error. */
function memberAction(seenShared: Map<string, unknown>): ActionDefinition<{ member: string }> {
  return {
    name: 'test.members',
    summary: 'test',
    schema: z.strictObject({ member: z.string() }),
    canSimulate: true,
    async planAcrossHosts(hosts) {
      const members = hosts.map(({ ctx, args }) => ({ host: ctx.host.name, member: args.member }));
      const findings = members
        .filter((m, i) => members.findIndex((o) => o.member === m.member) !== i)
        .map((m) => ({ host: m.host, finding: { level: 'error' as const, message: `duplicate member ${m.member}` } }));
      return { value: members.map((m) => m.member).join(','), findings };
    },
    async plan(ctx, _args, shared) {
      seenShared.set(ctx.host.name, shared);
      return { simulated: true, findings: [], changes: [{ description: 'noop', command: sh`true`, undo: null }] };
    },
  };
}

async function runMembers(members: Record<string, string>) {
  const hosts = Object.keys(members).map(host);
  const seen = new Map<string, unknown>();
  const action = memberAction(seen);
  const step = { id: 'members', name: 'Members', uses: action.name, with: {}, retries: 0, retryDelayMs: 0 };
  const compiled: CompiledStep = { step, hosts: hosts.map((h) => ({ step, host: h, action, args: { member: members[h.name]! }, enabled: true })) };
  const bus = new EventBus();
  const events: TimedEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const env = {
    run: { id: 'r', startedAt: '', dryRun: false, stateDir: '/nonexistent' },
    pool: await openTransportPool(hosts),
    recorder: new RunRecorder(undefined, bus, new Masker()),
    signal: new AbortController().signal,
    confirm: async () => true,
    nextIndex: new Map(),
  };
  const outcome = await runStep(compiled, env, () => false);
  return { outcome, seen, events };
}

test('every host plan receives the value shared across hosts', async () => {
  const { outcome, seen } = await runMembers({ a: 'm1', b: 'm2', c: 'm3' });
  assert.equal(outcome.state, 'done');
  assert.deepEqual([...seen.values()], ['m1,m2,m3', 'm1,m2,m3', 'm1,m2,m3']);
});

test('an error on one host found across hosts stops the step on every host', async () => {
  const { outcome, seen, events } = await runMembers({ a: 'm1', b: 'm1', c: 'm3' });
  assert.equal(outcome.state, 'failed');
  assert.equal(seen.size, 0, 'no host was planned');
  assert.equal(events.filter((e) => e.type === 'change.started').length, 0);
  assert.deepEqual(
    outcome.hosts.map((h) => h.state),
    ['cancelled', 'failed', 'cancelled'],
  );
  assert.match(String(outcome.hosts[1]!.error?.message), /duplicate member m1/);
});
