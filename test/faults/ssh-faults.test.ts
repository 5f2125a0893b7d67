// The multi-master restore (runbooks/etcd-restore-ha.yaml) over SSH when the network
// side fails, on a real 3-master sandbox (each master its own OpenSSH server):
//   - node2's sshd is killed (its PID from sandbox.json) while the stop waits on it: the
//     run cannot undo node2, so its exit code must say changes may remain (3), or the
//     hosts must be back; with sshd started again, `drbook rollback ID` brings every
//     master back, exit 0;
//   - a host that accepts TCP and never speaks SSH (a plain net server) in the
//     inventory: refused before any change, in bounded time, naming the host; nothing moved.
// npm test runs the TCP-no-SSH case; DRBOOK_FAULTS=full adds the killed sshd.
// Loopback prefixes: 127.0.184. (the sandbox), 127.0.185.1 (the silent TCP server)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { launchSshd } from '../../src/sandbox/ssh/sshd-process.js';
import { isProcessAlive } from '../../src/system/process-alive.js';
import { runCli } from '../e2e/support/cli.js';
import { FULL, newFigures, printFigures } from './support/figures.js';
import { BEFORE_KEY, healthy, observeBefore } from './support/kill-case.js';
import { settle } from './support/settle.js';
import { hashFolder, output, saveSnapshot, servedValue, startTarget, stopTarget, type Target } from './support/target.js';
import { watchRun } from './support/watched-run.js';
import { AFTER_KEY } from './support/kill-case.js';

let target: Target | undefined;
let snapshot = '';
const started: number[] = [];
before(async () => {
  target = await startTarget('127.0.184.', true);
  const put = await target.etcdctl(['put', BEFORE_KEY, 'in the snapshot']);
  assert.equal(put.exitCode, 0, put.stderr);
  snapshot = await saveSnapshot(target, join(target.base, 'good.db'));
});
after(async () => {
  if (target) await stopTarget(target);
  for (const pid of started) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
});

test("node2's sshd killed while the stop waits on it: the exit code says what the hosts are in; with sshd back, `drbook rollback` recovers every master", { skip: !FULL && 'sampled run (DRBOOK_FAULTS=full runs it)' }, async () => {
  const sbx = target!;
  assert.ok(await healthy(sbx), 'the cluster is healthy before the case');
  const figures = newFigures(`sshd-killed ${sbx.label}`);
  const b = await observeBefore(sbx, 'sshd-killed');
  const node = sbx.info.nodes[1]!;
  const sshd = node.sshd!;
  const stateDir = join(sbx.base, 'state-sshd-killed');
  const run = watchRun(sbx.runArgs(stateDir, snapshot), sbx.env);
  await run.event((e) => e.type === 'change.started' && e.stepId === 'stop-control-plane' && e.host === node.name && /wait/i.test(String(e.description)));
  process.kill(sshd.pid!, 'SIGKILL');
  const result = await run.done;
  const problems = await settle(sbx, figures, 'sshd killed mid-run', b, stateDir, result, {
    expect: [1, 3],
    fix: async () => {
      const relaunched = await launchSshd({ configFile: sshd.configFile, logFile: sshd.logFile, detached: true, label: node.name });
      started.push(relaunched.pid);
      // The sandbox's own record follows, so its teardown (and the stray check) know the new sshd.
      sshd.pid = relaunched.pid;
      const file = join(sbx.dir, 'sandbox.json');
      const info = JSON.parse(await readFile(file, 'utf8'));
      info.nodes[1].sshd.pid = relaunched.pid;
      await writeFile(file, JSON.stringify(info, null, 2));
    },
  });
  printFigures(figures);
  assert.deepEqual(problems, []);
});

test('a host that accepts TCP and never speaks SSH: the run is refused before any change, in bounded time, naming the host; every master untouched', async (t) => {
  const sbx = target!;
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket)); // accepts, never writes a byte
  await new Promise<void>((resolve) => server.listen(0, '127.0.185.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const doc = parse(await readFile(sbx.info.inventory, 'utf8')) as { hosts: Record<string, Record<string, unknown>> };
  doc.hosts.node3 = { ...doc.hosts.node3, address: '127.0.185.1', port };
  const inventory = join(sbx.base, 'silent-node3.inventory.yaml');
  await writeFile(inventory, stringify(doc));

  const figures = newFigures(`tcp-no-ssh ${sbx.label}`);
  const manifests = await Promise.all(sbx.paths.map((p) => hashFolder(p.manifestsDir)));
  const value = (await servedValue(sbx, 0, AFTER_KEY)) ?? '';
  const startedAt = Date.now();
  const result = await runCli(['run', sbx.runbook, '-i', inventory, '--state-dir', join(sbx.base, 'state-silent'), '-p', `snapshot=${snapshot}`, '--yes', '-o', 'plain'], { env: sbx.env });
  const seconds = (Date.now() - startedAt) / 1000;
  figures.points++;
  const out = output(result);
  assert.ok(result.code === 1 || result.code === 2, `refused, nothing changed: ${out}`);
  assert.match(result.stdout + result.stderr, /node3/);
  assert.match(result.stdout + result.stderr, /handshake|timed? ?out|not .*SSH/i);
  assert.ok(seconds < 90, `bounded: ${seconds} s`);
  assert.equal(sockets.length > 0, true, 'drbook did connect to the silent server');
  for (const [i, p] of sbx.paths.entries()) assert.deepEqual(await hashFolder(p.manifestsDir), manifests[i], `${sbx.info.nodes[i]!.name}: manifests untouched`);
  assert.equal((await servedValue(sbx, 0, AFTER_KEY)) ?? '', value, 'etcd serves what it served');
  printFigures(figures);
});
