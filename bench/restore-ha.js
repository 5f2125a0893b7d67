#!/usr/bin/env node
// Benchmark of the multi-master restore over SSH (`npm run bench`, after `npm run build`).
//
// Brings up a 3-node SSH sandbox (one sshd per master on 127.0.9.11-13, real etcd),
// saves a snapshot, runs runbooks/etcd-restore-ha.yaml through the engine in this
// process (so the SSH pool can be asked how many connections it opened), tears the
// sandbox down, and prints:
//
//   total         wall time of the run: from the call into the engine (compile, lock,
//                 journal, connections included) to its return;
//   commands      the time spent in the commands themselves, on the critical path:
//                 for each step, the busiest host's time in remote operations (every
//                 exec, stat, read, write, upload of its transport: probes included)
//                 and in its changes (each change's own duration as the engine measures it
//                 around the change, without the journal writes; a wait for pods or for
//                 etcd's quorum is the command's own time, not the engine's), with
//                 overlapping intervals counted once; summed over the steps;
//   connect       SSH connection set-up (handshake + auth), the slowest host;
//   overhead      total - commands: the engine's own time (compiling, planning logic,
//                 the journal's fsyncs, events, barriers) plus connection set-up,
//                 in ms and in % of total;
//   connections   SSH connections opened per host during the run.
//
// Options: --runs N (default 1; each run restores the same snapshot again), --json,
// --keep (leave the sandbox up and print where). Imports from dist/ only.

import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(join(REPO, 'dist', 'src', path));

const { sandboxUp, sandboxDown, saveSandboxSnapshot } = await import('@drbook/sandbox');
const { loadRunbook } = await dist('runbook/load.js');
const { builtinActions } = await dist('actions/registry.js');
const { loadInventory } = await dist('inventory/load.js');
const { resolveTargets } = await dist('inventory/targets.js');
const { createTransportPool } = await dist('transport/ssh/pool.js');
const { EventBus } = await dist('core/events.js');
const { executeRun } = await dist('engine/run.js');
const { newRunId } = await dist('journal/state-dir.js');

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 1) || 1;
const asJson = args.includes('--json');
const keep = args.includes('--keep');
const IP_PREFIX = '127.0.9.';
const say = (text) => process.stderr.write(`bench: ${text}\n`);
const loadAverage = () => (os.loadavg()[0] ?? 0).toFixed(2);

/** A transport whose every remote operation is timed, per host. */
function timedTransport(transport, record) {
  const timed =
    (name) =>
    async (...callArgs) => {
      // The host lock's holder runs for the whole run while it waits: it is no work.
      if (name === 'exec' && callArgs[0]?.longLived) return transport.exec(...callArgs);
      const start = performance.now();
      try {
        return await transport[name](...callArgs);
      } finally {
        record(transport.hostName, start, performance.now());
      }
    };
  return {
    get hostName() {
      return transport.hostName;
    },
    get kind() {
      return transport.kind;
    },
    exec: timed('exec'),
    stat: timed('stat'),
    readFile: timed('readFile'),
    writeFile: timed('writeFile'),
    readDir: timed('readDir'),
    putFile: timed('putFile'),
    getFile: timed('getFile'),
    close: () => transport.close(),
  };
}

/** Total length of a set of [start, end] intervals, overlaps counted once. */
function unionLength(intervals) {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let total = 0;
  let [curStart, curEnd] = [-Infinity, -Infinity];
  for (const [a, b] of sorted) {
    if (a > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      [curStart, curEnd] = [a, b];
    } else curEnd = Math.max(curEnd, b);
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

async function measureRun(sandbox, snapshotFile, stateDir) {
  const [runbook, inventory] = await Promise.all([loadRunbook(join(REPO, 'runbooks', 'etcd-restore-ha.yaml'), builtinActions), loadInventory(sandbox.inventory)]);
  const hosts = resolveTargets(inventory, runbook.targets);
  const ops = []; // { host, start, end }
  const connects = {}; // host → ms
  const pool = createTransportPool(hosts);
  const timedPool = {
    async get(name) {
      const start = performance.now();
      const transport = await pool.get(name);
      if (connects[name] === undefined) connects[name] = performance.now() - start;
      return timedTransport(transport, (host, s, e) => ops.push({ host, start: s, end: e }));
    },
    closeAll: () => pool.closeAll(),
  };

  const bus = new EventBus();
  const steps = []; // { id, start, end }
  const changes = []; // { step, host, start, end }
  const open = new Map();
  bus.subscribe((event) => {
    const now = performance.now();
    if (event.type === 'step.started') steps.push({ id: event.stepId, start: now, end: now });
    if (event.type === 'step.finished') steps.find((s) => s.id === event.stepId && s.end === s.start).end = now;
    if (event.type === 'change.started') open.set(`${event.stepId}/${event.host}/${event.index}`, now);
    if (event.type === 'change.finished') {
      // The change's own duration (measured around its command alone, as the engine
      // reports it), not up to this event: the journal's fsync of the result is the engine's time.
      const key = `${event.stepId}/${event.host}/${event.index}`;
      const start = open.get(key);
      changes.push({ step: event.stepId, host: event.host, start, end: Math.min(now, start + event.durationMs) });
      open.delete(key);
    }
  });

  const started = performance.now();
  const outcome = await executeRun({
    runbook,
    inventory,
    hosts,
    cliParams: { snapshot: snapshotFile },
    stateDir,
    openPool: async () => timedPool,
    bus,
    interrupt: new AbortController().signal,
    rollbackOnFailure: true,
    onInterrupt: 'rollback',
    confirm: async () => true,
    runId: newRunId(),
    startedAt: new Date().toISOString(),
  });
  const total = performance.now() - started;
  if (outcome.exitCode !== 0) throw new Error(`the restore failed (${outcome.state}): ${outcome.error}`);

  const perStep = steps.map((step) => {
    const within = ([a, b]) => [Math.max(a, step.start), Math.min(b, step.end)];
    const busy = hosts.map((h) => {
      const intervals = [
        ...ops.filter((o) => o.host === h.name).map((o) => within([o.start, o.end])),
        ...changes.filter((c) => c.host === h.name && c.step === step.id).map((c) => within([c.start, c.end])),
      ];
      return { host: h.name, ms: unionLength(intervals) };
    });
    const slowest = busy.reduce((a, b) => (b.ms > a.ms ? b : a));
    return { step: step.id, wallMs: step.end - step.start, commandMs: slowest.ms, criticalHost: slowest.host };
  });
  const commands = perStep.reduce((sum, s) => sum + s.commandMs, 0);
  return {
    totalMs: total,
    commandMs: commands,
    overheadMs: total - commands,
    overheadPct: ((total - commands) / total) * 100,
    connectMs: Math.max(...Object.values(connects)),
    connections: pool.connectionCounts(),
    steps: perStep,
  };
}

const base = await mkdtemp(join(tmpdir(), 'drbook-bench-'));
const dir = join(base, 'sbx');
let sandbox;
try {
  say(`sandbox up --nodes 3 --ssh in ${dir} (${IP_PREFIX}11-13)`);
  sandbox = await sandboxUp({ dir, nodes: 3, ssh: true, ipPrefix: IP_PREFIX });
  const snapshot = await saveSandboxSnapshot({ dir, file: join(base, 'snapshot.db') });
  say(`snapshot ${snapshot.file}: revision ${snapshot.revision}, ${snapshot.size} bytes`);
  const results = [];
  for (let i = 0; i < runs; i++) {
    say(`run ${i + 1}/${runs}: runbooks/etcd-restore-ha.yaml over SSH on node1, node2, node3`);
    results.push(await measureRun(sandbox, snapshot.file, join(base, 'state')));
  }
  if (asJson) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  } else {
    const ms = (n) => `${Math.round(n)} ms`;
    console.log(`machine: ${os.cpus().length} CPU(s), load average ${loadAverage()} (other work on the machine inflates every figure)`);
    for (const [i, r] of results.entries()) {
      console.log(`run ${i + 1}: 3-member etcd restore over SSH`);
      console.log(`  total        ${ms(r.totalMs)}`);
      console.log(`  commands     ${ms(r.commandMs)}  (per step, the busiest host's time in remote operations and changes, summed)`);
      console.log(
        `  overhead     ${ms(r.overheadMs)}  (${r.overheadPct.toFixed(1)} % of total; includes SSH set-up, ${ms(r.connectMs)} on the slowest host: ${(((r.overheadMs - r.connectMs) / r.totalMs) * 100).toFixed(1)} % without it)`,
      );
      console.log(
        `  connections  ${Object.entries(r.connections)
          .map(([h, n]) => `${h} ${n}`)
          .join(', ')}`,
      );
      console.log('  per step (wall / commands on the critical host):');
      for (const s of r.steps) console.log(`    ${s.step.padEnd(20)} ${ms(s.wallMs).padStart(8)} / ${ms(s.commandMs).padStart(8)}  ${s.criticalHost}`);
    }
  }
} finally {
  if (keep && sandbox) say(`sandbox kept in ${dir}: drbook sandbox down --dir ${dir}`);
  else {
    await sandboxDown({ dir }).catch((error) => say(`sandbox down failed: ${error.message}`));
    await rm(base, { recursive: true, force: true });
  }
}
