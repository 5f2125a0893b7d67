// The run loop's strategy, checked on the order of the engine's events (no timings):
// barrier between steps, hosts in parallel, serial, plan everywhere before changing
// anything, retries, `when`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus, type TimedEvent } from '../../src/core/events.js';
import { executeRun } from '../../src/engine/run.js';
import { executePlan } from '../../src/engine/plan.js';
import type { Host } from '../../src/core/inventory.js';
import { parseRunbook } from '../../src/runbook/load.js';
import { builtinActions } from '../../src/actions/registry.js';

const host = (name: string, vars: Record<string, unknown> = {}): Host => ({ name, connection: 'local', ssh: {}, vars, groups: ['all'] });

async function run(t: { after: (fn: () => Promise<void>) => void }, yaml: string, givenHosts: Host[], dryRun = false) {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-engine-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // The host lock and run markers go in the test's folder (as root the default would be /var/lib/drbook).
  const hosts = givenHosts.map((h) => ({ ...h, hostStateDir: join(dir, 'host-state') }));
  const runbook = parseRunbook(yaml.replaceAll('DIR', dir), join(dir, 'runbook.yaml'), builtinActions);
  const bus = new EventBus();
  const events: TimedEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const common = {
    runbook,
    inventory: { hosts: Object.fromEntries(hosts.map((h) => [h.name, h])), groups: {} },
    hosts,
    cliParams: {},
    stateDir: join(dir, 'state'),
    bus,
    interrupt: new AbortController().signal,
    confirm: async () => true,
    runId: `test-${Math.random().toString(16).slice(2, 8)}`,
    startedAt: new Date().toISOString(),
  };
  const outcome = dryRun ? await executePlan(common) : await executeRun({ ...common, rollbackOnFailure: true, onInterrupt: 'rollback' });
  return { outcome, events, dir };
}

const at = (events: TimedEvent[], match: (e: TimedEvent) => boolean) => events.findIndex(match);
const atLast = (events: TimedEvent[], match: (e: TimedEvent) => boolean) => events.length - 1 - [...events].reverse().findIndex(match);
const isChange = (type: 'change.started' | 'change.finished', step: string, hostName?: string) => (e: TimedEvent) =>
  e.type === type && e.stepId === step && (hostName === undefined || e.host === hostName);

const HEADER = 'apiVersion: drbook/v1\nkind: Runbook\nmetadata: { name: t }\n';

test('a barrier: no host starts step 2 before every host has finished step 1', async (t) => {
  const hosts = [host('a', { d: '0.3' }), host('b', { d: '0' }), host('c', { d: '0.1' })];
  const { outcome, events } = await run(t, `${HEADER}steps:\n  - { id: one, name: One, run: "sleep {{ host.vars.d }}" }\n  - { id: two, name: Two, run: "true" }\n`, hosts);
  assert.equal(outcome.exitCode, 0);
  assert.ok(atLast(events, isChange('change.finished', 'one')) < at(events, isChange('change.started', 'two')));
});

test('hosts run a step in parallel: every host has started before any has finished', async (t) => {
  const hosts = ['a', 'b', 'c'].map((n) => host(n));
  const { events } = await run(t, `${HEADER}steps:\n  - { id: one, name: One, run: "sleep 0.3" }\n`, hosts);
  assert.ok(atLast(events, isChange('change.started', 'one')) < at(events, isChange('change.finished', 'one')));
});

test('serial: 1 runs one host at a time, in inventory order', async (t) => {
  const hosts = ['a', 'b', 'c'].map((n) => host(n));
  const { events } = await run(t, `${HEADER}steps:\n  - { id: one, name: One, serial: 1, run: "sleep 0.05" }\n`, hosts);
  const order = events.filter((e) => e.type === 'change.started' || e.type === 'change.finished').map((e) => `${e.type === 'change.started' ? '+' : '-'}${(e as { host: string }).host}`);
  assert.deepEqual(order, ['+a', '-a', '+b', '-b', '+c', '-c']);
});

test('a step is planned on every host first: one host whose plan fails stops the step everywhere', async (t) => {
  const hosts = [host('a', { src: 'present' }), host('b', { src: 'missing' })];
  const yaml = `${HEADER}steps:
  - { id: setup, name: Setup, run: "touch DIR/present", rollback: "rm -f DIR/present" }
  - id: move
    name: Move
    uses: file.move
    with: { from: "DIR/{{ host.vars.src }}", to: "DIR/moved-{{ host.name }}" }
`;
  const { outcome, events, dir } = await run(t, yaml, hosts);
  assert.equal(outcome.exitCode, 1);
  assert.equal(at(events, isChange('change.started', 'move')), -1, 'no host changed anything in the failing step');
  assert.equal(existsSync(join(dir, 'present')), false, 'the earlier step was rolled back');
  const b = events.find((e) => e.type === 'host.finished' && e.stepId === 'move' && e.host === 'b');
  assert.match(String((b as { error?: string }).error), /missing does not exist/);
});

test('retries re-plan and run the step again; success on the second attempt', async (t) => {
  const yaml = `${HEADER}steps:
  - id: flaky
    name: Flaky
    retries: 2
    retryDelay: 10ms
    run: "n=$(cat DIR/n 2>/dev/null || echo 0); echo $((n+1)) > DIR/n; test $n -ge 1"
`;
  const { outcome, events, dir } = await run(t, yaml, [host('a')]);
  assert.equal(outcome.exitCode, 0);
  assert.equal((await readFile(join(dir, 'n'), 'utf8')).trim(), '2');
  assert.equal(events.filter((e) => e.type === 'host.started' && e.stepId === 'flaky').length, 2);
});

test('when: a step is skipped on the hosts where it renders false', async (t) => {
  const hosts = [host('a', { on: true }), host('b', { on: false })];
  const { events, dir } = await run(t, `${HEADER}steps:\n  - { id: one, name: One, when: "{{ host.vars.on }}", run: "touch DIR/{{ host.name }}" }\n`, hosts);
  assert.ok(existsSync(join(dir, 'a')));
  assert.equal(existsSync(join(dir, 'b')), false);
  const b = events.find((e) => e.type === 'host.finished' && e.host === 'b');
  assert.equal((b as { state: string }).state, 'skipped');
});

test('a dry-run plans every host and reports problems without changing anything', async (t) => {
  const dir0 = await mkdtemp(join(tmpdir(), 'drbook-engine-'));
  t.after(() => rm(dir0, { recursive: true, force: true }));
  await writeFile(join(dir0, 'f'), 'x');
  const yaml = `${HEADER}steps:\n  - id: move\n    name: Move\n    uses: file.move\n    with: { from: "${dir0}/f", to: "${dir0}/{{ host.vars.dst }}" }\n`;
  const { outcome, events } = await run(t, yaml, [host('a', { dst: 'g-a' }), host('b', { dst: 'f' })], true);
  assert.equal(outcome.exitCode, 1);
  assert.ok('problems' in outcome);
  assert.equal(outcome.problems.length, 1);
  assert.match(outcome.problems[0]!, /^b: step move: .*already exists/);
  assert.ok(existsSync(join(dir0, 'f')));
  assert.equal(existsSync(join(dir0, 'g-a')), false);
  assert.equal(events.filter((e) => e.type === 'host.planned').length, 2);
});
