// drbook plan = the run's pipeline stopped before apply (src/engine/plan.ts and the step
// runner's plan mode): the same probes under the same step timeout, the same cross-host
// phase, nothing applied or journaled, and every sound host-step `planned`, never `done`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { ActionDefinition } from '../../src/core/action.js';
import type { CompiledStep } from '../../src/engine/compile.js';
import { EventBus, type TimedEvent } from '../../src/core/events.js';
import { executePlan } from '../../src/engine/plan.js';
import { RunRecorder } from '../../src/engine/recorder.js';
import { buildRunRequest } from '../../src/engine/run-request.js';
import { runStep } from '../../src/engine/step-runner.js';
import type { Host } from '../../src/core/inventory.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { builtinActions } from '../../src/actions/registry.js';
import { sh } from '../../src/shell/command.js';
import { Masker } from '../../src/shell/masker.js';
import { openTransportPool } from '../../src/transport/pool.js';
import type { TransportPool } from '../../src/core/transport.js';

const HEADER = 'apiVersion: drbook/v1\nkind: Runbook\nmetadata: { name: t }\n';
const host = (name: string, dir: string, vars: Record<string, unknown> = {}): Host => ({ name, connection: 'local', ssh: {}, vars, groups: ['all'], hostStateDir: join(dir, 'host-state') });

async function plan(t: { after: (fn: () => Promise<void>) => void }, yaml: string, names: string[], vars: (name: string) => Record<string, unknown> = () => ({}), files: string[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-plan-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const file of files) await writeFile(join(dir, file), 'x');
  const hosts = names.map((n) => host(n, dir, vars(n)));
  const bus = new EventBus();
  const events: TimedEvent[] = [];
  bus.subscribe((e) => events.push(e));
  let closed = 0;
  const openPool = async (h: Host[]): Promise<TransportPool> => {
    const pool = await openTransportPool(h);
    return { get: (name) => pool.get(name), closeAll: async () => void closed++ };
  };
  const request = buildRunRequest({
    runbook: parseRunbook(yaml.replaceAll('DIR', dir), join(dir, 'runbook.yaml'), builtinActions),
    inventory: { hosts: Object.fromEntries(hosts.map((h) => [h.name, h])), groups: {} },
    hosts,
    cliParams: {},
    stateDir: join(dir, 'state'),
    openPool,
    bus,
    interrupt: new AbortController().signal,
    confirm: async () => true,
  });
  const outcome = await executePlan(request);
  return { outcome, events, dir, closed: () => closed };
}

const states = (events: TimedEvent[], type: 'host.finished' | 'step.finished') =>
  events.filter((e) => e.type === type).map((e) => `${(e as { stepId: string }).stepId}${'host' in e ? `/${e.host}` : ''}:${(e as { state: string }).state}`);

test('a sound plan: every host-step and step is `planned`, never `done`; nothing is applied, no journal is written, the pool is closed once', async (t) => {
  const yaml = `${HEADER}steps:\n  - { id: one, name: One, run: "touch DIR/one-{{ host.name }}", rollback: "rm -f DIR/one-{{ host.name }}" }\n  - { id: two, name: Two, serial: 1, run: "touch DIR/two-{{ host.name }}" }\n`;
  const { outcome, events, dir, closed } = await plan(t, yaml, ['a', 'b']);
  assert.equal(outcome.exitCode, 0);
  assert.deepEqual(states(events, 'host.finished'), ['one/a:planned', 'one/b:planned', 'two/a:planned', 'two/b:planned']);
  assert.deepEqual(states(events, 'step.finished'), ['one:planned', 'two:planned']);
  assert.equal(events.filter((e) => e.type === 'change.started').length, 0);
  for (const f of ['one-a', 'one-b', 'two-a', 'two-b']) assert.equal(existsSync(join(dir, f)), false, `${f}: nothing applied`);
  assert.equal(existsSync(join(dir, 'state', 'runs')), false, 'no journal');
  assert.deepEqual(
    outcome.irreversible.map((l) => l.split(':').slice(0, 2).join(':')),
    ['a: step two', 'b: step two'],
    'only step two has no undo',
  );
  assert.equal(closed(), 1);
  assert.deepEqual(events.at(-1) && [events.at(-1)!.type, (events.at(-1) as { state: string }).state], ['run.finished', 'planned']);
});

test('a host whose plan fails is `failed` with its problem; the other hosts stay `planned` (not cancelled), and later steps are still planned', async (t) => {
  // a's source is missing: in a plan that is a warning (an earlier step may create it); b's target exists: an error.
  const yaml = `${HEADER}steps:
  - id: move
    name: Move
    uses: file.move
    with: { from: "DIR/{{ host.vars.src }}", to: "DIR/{{ host.vars.dst }}" }
  - { id: after, name: After, run: "true" }
`;
  const vars = (n: string) => (n === 'a' ? { src: 'missing', dst: 'moved-a' } : { src: 'f', dst: 'g' });
  const { outcome, events } = await plan(t, yaml, ['a', 'b'], vars, ['f', 'g']);
  assert.equal(outcome.exitCode, 1);
  assert.deepEqual(states(events, 'host.finished').sort(), ['after/a:planned', 'after/b:planned', 'move/a:planned', 'move/b:failed']);
  assert.deepEqual(states(events, 'step.finished'), ['move:failed', 'after:planned']);
  assert.equal(outcome.problems.length, 1, outcome.problems.join('\n'));
  assert.match(outcome.problems[0]!, /^b: step move: .*already exists/);
  const warned = events.filter((e) => e.type === 'host.finding' && e.host === 'a' && e.finding.level === 'warn');
  assert.equal(warned.length, 1, 'the missing source is a warning in a plan');
});

test("a plan runs its probes under the step's timeout: a probe slower than the step is killed and the host fails with the timeout", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-plan-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const slowProbe: ActionDefinition<Record<string, never>> = {
    name: 'test.slow-probe',
    summary: 'test',
    schema: z.strictObject({}),
    canSimulate: true,
    async plan(ctx) {
      await ctx.probe(sh`sleep 5`);
      return { simulated: true, findings: [], changes: [] };
    },
  };
  const hosts = [host('a', dir)];
  const step = { id: 'slow', name: 'Slow', uses: slowProbe.name, with: {}, retries: 0, retryDelayMs: 0, timeoutMs: 200 };
  const compiled: CompiledStep = { step, hosts: hosts.map((h) => ({ step, host: h, action: slowProbe, args: {}, enabled: true })) };
  const recorder = new RunRecorder(undefined, new EventBus(), new Masker());
  const env = {
    run: { id: 'r', startedAt: '', dryRun: true, stateDir: dir },
    pool: await openTransportPool(hosts),
    recorder,
    signal: new AbortController().signal,
    confirm: async () => true,
    nextIndex: new Map(),
  };
  const started = Date.now();
  const outcome = await runStep(compiled, env, () => false, 'plan');
  assert.ok(Date.now() - started < 3000, "killed at the step timeout, not after the probe's 5 s");
  assert.equal(outcome.state, 'failed');
  assert.equal(outcome.hosts[0]!.error?.kind, 'timeout');
  assert.match(outcome.hosts[0]!.problems?.[0] ?? '', /ran past its timeout of 200ms/);
  assert.deepEqual(recorder.entries, [], 'plan mode journals nothing, not even in memory');
});

test('plan mode keeps the cross-host phase and its refusals, but still plans every host (to show all it can)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-plan-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const planned: string[] = [];
  const members: ActionDefinition<{ member: string }> = {
    name: 'test.members',
    summary: 'test',
    schema: z.strictObject({ member: z.string() }),
    canSimulate: true,
    async planAcrossHosts(hosts) {
      const seen = new Set<string>();
      const findings = [];
      for (const { ctx, args } of hosts) {
        if (seen.has(args.member)) findings.push({ host: ctx.host.name, finding: { level: 'error' as const, message: `duplicate member ${args.member}` } });
        seen.add(args.member);
      }
      return { value: [...seen].join(','), findings };
    },
    async plan(ctx, _args, shared) {
      planned.push(`${ctx.host.name}:${String(shared)}`);
      return { simulated: true, findings: [], changes: [{ description: 'noop', command: sh`true`, undo: null }] };
    },
  };
  const hosts = ['a', 'b', 'c'].map((n) => host(n, dir));
  const memberOf: Record<string, string> = { a: 'm1', b: 'm1', c: 'm3' };
  const step = { id: 'members', name: 'Members', uses: members.name, with: {}, retries: 0, retryDelayMs: 0 };
  const compiled: CompiledStep = { step, hosts: hosts.map((h) => ({ step, host: h, action: members, args: { member: memberOf[h.name]! }, enabled: true })) };
  const env = {
    run: { id: 'r', startedAt: '', dryRun: true, stateDir: dir },
    pool: await openTransportPool(hosts),
    recorder: new RunRecorder(undefined, new EventBus(), new Masker()),
    signal: new AbortController().signal,
    confirm: async () => true,
    nextIndex: new Map(),
  };
  const outcome = await runStep(compiled, env, () => false, 'plan');
  assert.equal(outcome.state, 'failed');
  assert.deepEqual(
    outcome.hosts.map((h) => h.state),
    ['planned', 'failed', 'planned'],
  );
  assert.deepEqual(outcome.hosts[1]!.problems, ['duplicate member m1']);
  assert.deepEqual(planned.sort(), ['a:m1,m3', 'b:m1,m3', 'c:m1,m3']);
  // The same step in apply mode refuses before planning anyone.
  planned.length = 0;
  const applied = await runStep(compiled, { ...env, run: { ...env.run, dryRun: false } }, () => false);
  assert.deepEqual(
    applied.hosts.map((h) => h.state),
    ['cancelled', 'failed', 'cancelled'],
  );
  assert.deepEqual(planned, []);
});
