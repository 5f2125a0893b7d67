// The run's fact cache (src/actions/fact-cache.ts) and how the action context uses it:
// one probe per host per fact and args, per-host isolation, concurrent asks sharing one
// probe, rejections and declined answers not remembered, `change` facts dropped by
// invalidation and by every exec on the host (a change), `run` facts kept. Fakes only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createHostFactCache, createRunFacts } from '../../src/actions/fact-cache.js';
import { defineFact, type FactContext } from '../../src/core/facts.js';
import { etcdManifestFact, etcdMemberFact, etcdToolFact } from '../../src/actions/etcd/facts.js';
import { createActionContext, localHost } from '../../src/engine/action-context.js';
import type { RunInfo } from '../../src/core/action.js';
import { sh } from '../../src/shell/command.js';
import { FakeTransport } from '../etcd/helpers/context.js';

const host = (name: string) => ({ ...localHost(), name });
const ctxStub = (name = 'h1'): Omit<FactContext, 'facts'> => ({
  host: host(name),
  transport: new FakeTransport(),
  probe: async () => {
    throw new Error('unused');
  },
});

/** A fact that counts its probes and answers what `answer` says, after `delayMs`. */
function countingFact(lifetime: 'run' | 'change', answer: (n: number, args: string) => unknown = (n, a) => `${a}#${n}`, options: { keep?: (v: unknown) => boolean; delayMs?: number } = {}) {
  const calls: string[] = [];
  const fact = defineFact<unknown, string>({
    name: `test.${lifetime}`,
    lifetime,
    keep: options.keep,
    probe: async (ctx, args) => {
      calls.push(`${ctx.host.name}:${args}`);
      const n = calls.length;
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      const value = answer(n, args);
      if (value instanceof Error) throw value;
      return value;
    },
  });
  return { fact, calls };
}

test('a fact is probed once per host and args; other args and other hosts are probed on their own', async () => {
  const run = createRunFacts();
  const { fact, calls } = countingFact('change');
  const h1 = run.forHost('h1').bind(ctxStub('h1'));
  const h2 = run.forHost('h2').bind(ctxStub('h2'));
  assert.equal(await h1.get(fact, 'a'), 'a#1');
  assert.equal(await h1.get(fact, 'a'), 'a#1');
  assert.equal(await run.forHost('h1').bind(ctxStub('h1')).get(fact, 'a'), 'a#1', 'another context of the same host and run shares the answer');
  assert.equal(await h1.get(fact, 'b'), 'b#2');
  assert.equal(await h2.get(fact, 'a'), 'a#3', 'h2 is probed for itself, never answered from h1');
  assert.deepEqual(calls, ['h1:a', 'h1:b', 'h2:a']);
  assert.deepEqual(run.forHost('h1').probeCounts(), { 'test.change': 2 });
  assert.equal(run.forHost('h1'), run.forHost('h1'), 'one cache per host for the run');
  assert.notEqual(createRunFacts().forHost('h1'), run.forHost('h1'), 'another run starts empty');
});

test('two actions asking at once run one probe and get the same answer', async () => {
  const cache = createHostFactCache('h1');
  const { fact, calls } = countingFact('run', (n) => ({ n }), { delayMs: 30 });
  const [a, b] = await Promise.all([cache.bind(ctxStub()).get(fact, 'x'), cache.bind(ctxStub()).get(fact, 'x')]);
  assert.equal(calls.length, 1);
  assert.equal(a, b);
});

test('a rejection is not remembered: the next ask probes again; a waiter on a failed probe asks with its own context', async () => {
  const cache = createHostFactCache('h1');
  const { fact, calls } = countingFact('run', (n) => (n === 1 ? new Error('ssh dropped') : `ok#${n}`), { delayMs: 20 });
  const first = cache.bind(ctxStub()).get(fact, 'x');
  const waiter = cache.bind(ctxStub()).get(fact, 'x');
  await assert.rejects(first, /ssh dropped/);
  assert.equal(await waiter, 'ok#2', "the waiter was not handed the other asker's failure");
  assert.equal(await cache.bind(ctxStub()).get(fact, 'x'), 'ok#2', 'the good answer is kept');
  assert.equal(calls.length, 2);
});

test('keep() declines an answer: asked again, the host is probed again', async () => {
  const cache = createHostFactCache('h1');
  const { fact, calls } = countingFact('run', (n) => (n < 3 ? null : 'found'), { keep: (v) => v !== null });
  const facts = cache.bind(ctxStub());
  assert.equal(await facts.get(fact, 'x'), null);
  assert.equal(await facts.get(fact, 'x'), null);
  assert.equal(await facts.get(fact, 'x'), 'found');
  assert.equal(await facts.get(fact, 'x'), 'found');
  assert.equal(calls.length, 3);
});

test('invalidation: changed() drops `change` facts and keeps `run` facts; invalidate(fact) drops that one fact', async () => {
  const cache = createHostFactCache('h1');
  const changing = countingFact('change');
  const lasting = countingFact('run');
  const facts = cache.bind(ctxStub());
  await facts.get(changing.fact, 'a');
  await facts.get(lasting.fact, 'a');
  cache.changed();
  assert.equal(await facts.get(changing.fact, 'a'), 'a#2', 'probed again after a change');
  assert.equal(await facts.get(lasting.fact, 'a'), 'a#1', 'the installed tool does not change with the host');
  facts.invalidate(lasting.fact);
  assert.equal(await facts.get(lasting.fact, 'a'), 'a#2');
  facts.invalidate();
  assert.equal(await facts.get(changing.fact, 'a'), 'a#3', 'invalidate() without a fact is changed()');
  assert.equal(await facts.get(lasting.fact, 'a'), 'a#2');
});

test('a probe in flight when the host changes is not kept: the next ask probes the changed host', async () => {
  const cache = createHostFactCache('h1');
  const { fact, calls } = countingFact('change', (n) => `v${n}`, { delayMs: 30 });
  const facts = cache.bind(ctxStub());
  const before = facts.get(fact, 'a');
  cache.changed();
  const after = facts.get(fact, 'a');
  assert.equal(await before, 'v1');
  assert.equal(await after, 'v2');
  assert.equal(await facts.get(fact, 'a'), 'v2');
  assert.equal(calls.length, 2);
});

function contextOn(transport: FakeTransport, run: RunInfo, name = 'cp1') {
  return createActionContext({ host: host(name), transport, run, stepId: 's' });
}
const runInfo = (dryRun = false): RunInfo => ({ id: 'r1', startedAt: '', dryRun, stateDir: '/nonexistent' });

test('the action context: one cache per run and host; every exec (a change) drops the manifest and member facts, not the tool', async () => {
  // kubeadm's own etcd.yaml (fixtures/manifests/kubeadm-init-etcd.yaml names its source).
  const manifest = await readFile(new URL('../../../fixtures/manifests/kubeadm-init-etcd.yaml', import.meta.url));
  const transport = new FakeTransport(new Map([['/m/etcd.yaml', manifest]]), (shell) =>
    shell === 'command -v etcdctl'
      ? { exitCode: 0, stdout: '/usr/bin/etcdctl\n' }
      : shell.includes('etcdctl version')
        ? { exitCode: 0, stdout: 'etcdctl version: 3.4.23\n' }
        : shell.includes('restore --help')
          ? { exitCode: 0, stdout: '--skip-hash-check\n' }
          : shell === 'command -v etcdutl'
            ? { exitCode: 1 }
            : { exitCode: 0 },
  );
  let stats = 0;
  const stat = transport.stat.bind(transport);
  transport.stat = async (path) => {
    if (path === '/m/etcd.yaml') stats++;
    return stat(path);
  };
  const run = runInfo();
  const a = contextOn(transport, run);
  const b = contextOn(transport, run);
  const tool = await a.facts.get(etcdToolFact, {});
  assert.equal(tool.tool?.version, '3.4.23');
  assert.equal((await b.facts.get(etcdToolFact, {})).tool, tool.tool, 'another step of the run: the remembered tool');
  const toolProbes = transport.commands.length;
  assert.equal(toolProbes, 4, transport.commands.join('\n'));

  const found = await a.facts.get(etcdManifestFact, { path: '/m/etcd.yaml' });
  assert.equal(found?.manifest.values.name, 'controlplane');
  const member = await b.facts.get(etcdMemberFact, { kubeadmManifest: '/m/etcd.yaml' });
  assert.ok(member.ok, !member.ok ? member.problem : '');
  assert.equal(stats, 1, 'the member discovery read the manifest through the cached etcd.manifest fact');

  await a.exec(sh`true`);
  await b.facts.get(etcdManifestFact, { path: '/m/etcd.yaml' });
  assert.equal(stats, 2, 'after a change the manifest is read again');
  await b.facts.get(etcdToolFact, {});
  assert.equal(transport.commands.filter((c) => c.includes('command -v')).length, 2, 'the tool is not probed again');

  const other = contextOn(transport, runInfo());
  await other.facts.get(etcdManifestFact, { path: '/m/etcd.yaml' });
  assert.equal(stats, 3, 'another run has its own facts');
  const otherHost = contextOn(transport, run, 'cp2');
  await otherHost.facts.get(etcdManifestFact, { path: '/m/etcd.yaml' });
  assert.equal(stats, 4, 'another host of the run has its own facts');
});

test("the action context: an unanswered probe drops the host's `change` facts (its state is unknown)", async () => {
  const transport = new FakeTransport(new Map([['/m/etcd.yaml', Buffer.from('spec:\n  containers:\n  - command: [etcd]\n')]]), (shell) =>
    shell === 'slow' ? { exitCode: null, timedOut: true } : { exitCode: 0 },
  );
  let reads = 0;
  const read = transport.readFile.bind(transport);
  transport.readFile = async (path) => {
    reads++;
    return read(path);
  };
  const ctx = contextOn(transport, runInfo());
  await ctx.facts.get(etcdManifestFact, { path: '/m/etcd.yaml' });
  await ctx.facts.get(etcdManifestFact, { path: '/m/etcd.yaml' });
  assert.equal(reads, 1);
  await assert.rejects(ctx.probe(sh`slow`), /no answer/);
  await ctx.facts.get(etcdManifestFact, { path: '/m/etcd.yaml' });
  assert.equal(reads, 2);
});

test('a manifest that does not parse rejects and is not remembered', async () => {
  const files = new Map<string, Buffer | 'dir'>([['/m/etcd.yaml', Buffer.from('spec: [unclosed\n')]]);
  const ctx = contextOn(new FakeTransport(files), runInfo());
  await assert.rejects(ctx.facts.get(etcdManifestFact, { path: '/m/etcd.yaml' }), /not valid YAML/);
  files.set('/m/etcd.yaml', Buffer.from('spec:\n  containers:\n  - command: [etcd, --name=fixed]\n'));
  assert.equal((await ctx.facts.get(etcdManifestFact, { path: '/m/etcd.yaml' }))?.manifest.values.name, 'fixed');
});
