#!/usr/bin/env node
// How many remote operations a single-master restore costs (after `npm run build`):
// brings up a 1-node SSH sandbox (sshd and real etcd on 127.0.220.11), saves a snapshot,
// runs runbooks/etcd-restore.yaml through the engine in this process with every
// transport call counted (exec, stat, readFile, readDir, writeFile, putFile, getFile;
// probes, changes, checks and the host lock's guards alike; not the lock holder's one
// long-lived channel), tears the sandbox down and prints the totals, per kind and per
// step. The fact cache (src/actions/fact-cache.ts) is what this figure watches.
// Options: --json, --commands FILE (every operation, one line each: step, kind, what).
// Imports from dist/ only, like bench/restore-ha.js. Run it under the test lock.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(join(REPO, 'dist', 'src', path));
const { sandboxUp, sandboxDown, saveSandboxSnapshot } = await import('@drbook/sandbox');
const { builtinActions } = await dist('actions/registry.js');
const { loadRunbook } = await dist('runbook/load.js');
const { loadInventory } = await dist('inventory/load.js');
const { resolveTargets } = await dist('inventory/targets.js');
const { createTransportPool } = await dist('transport/ssh/pool.js');
const { EventBus } = await dist('core/events.js');
const { executeRun } = await dist('engine/run.js');
const { newRunId } = await dist('journal/state-dir.js');

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const commandsFile = args.includes('--commands') ? args[args.indexOf('--commands') + 1] : undefined;
const IP_PREFIX = '127.0.220.';

let step = '(before the first step)';
const perStep = {};
const perKind = {};
const lines = [];

/** A transport whose every call is counted under the step that runs. */
function countedTransport(transport) {
  const counted =
    (kind) =>
    (...callArgs) => {
      // The host lock's holder runs for the whole run: one channel, not work.
      if (!(kind === 'exec' && callArgs[0]?.longLived)) {
        perStep[step] = (perStep[step] ?? 0) + 1;
        perKind[kind] = (perKind[kind] ?? 0) + 1;
        lines.push(`${step}\t${kind}\t${kind === 'exec' ? callArgs[0].command.toDisplay().split('\n')[0].slice(0, 200) : callArgs[0]}`);
      }
      return transport[kind](...callArgs);
    };
  return {
    get hostName() {
      return transport.hostName;
    },
    get kind() {
      return transport.kind;
    },
    exec: counted('exec'),
    stat: counted('stat'),
    readFile: counted('readFile'),
    writeFile: counted('writeFile'),
    readDir: counted('readDir'),
    putFile: counted('putFile'),
    getFile: counted('getFile'),
    close: () => transport.close(),
  };
}

const base = await mkdtemp(join(tmpdir(), 'drbook-count-'));
const dir = join(base, 'sbx');
try {
  const sandbox = await sandboxUp({ dir, nodes: 1, ssh: true, ipPrefix: IP_PREFIX });
  const snapshot = await saveSandboxSnapshot({ dir, file: join(base, 'snapshot.db') });
  const [runbook, inventory] = await Promise.all([loadRunbook(join(REPO, 'runbooks', 'etcd-restore.yaml'), builtinActions), loadInventory(sandbox.inventory)]);
  const hosts = resolveTargets(inventory, 'masters');
  const pool = createTransportPool(hosts);
  const wrapped = new Map();
  const countedPool = {
    async get(name) {
      const transport = await pool.get(name);
      if (!wrapped.has(transport)) wrapped.set(transport, countedTransport(transport));
      return wrapped.get(transport);
    },
    closeAll: () => pool.closeAll(),
  };
  const bus = new EventBus();
  bus.subscribe((event) => {
    if (event.type === 'step.started') step = event.stepId;
  });
  const outcome = await executeRun({
    runbook,
    inventory,
    hosts,
    cliParams: { snapshot: snapshot.file },
    stateDir: join(base, 'state'),
    openPool: async () => countedPool,
    bus,
    interrupt: new AbortController().signal,
    rollbackOnFailure: true,
    onInterrupt: 'rollback',
    confirm: async () => true,
    runId: newRunId(),
    startedAt: new Date().toISOString(),
  });
  await pool.closeAll();
  if (outcome.exitCode !== 0) throw new Error(`the restore failed (${outcome.state}): ${outcome.error}`);
  const total = Object.values(perStep).reduce((a, b) => a + b, 0);
  if (commandsFile) await writeFile(commandsFile, `${lines.join('\n')}\n`);
  if (asJson) process.stdout.write(`${JSON.stringify({ total, perKind, perStep }, null, 2)}\n`);
  else {
    console.log(
      `1-master restore over SSH: ${total} remote operations (${Object.entries(perKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')})`,
    );
    for (const [id, n] of Object.entries(perStep)) console.log(`  ${id.padEnd(22)} ${String(n).padStart(4)}`);
  }
} finally {
  await sandboxDown({ dir }).catch((error) => process.stderr.write(`sandbox down failed: ${error.message}\n`));
  await rm(base, { recursive: true, force: true });
}
