// The multi-master restore (runbooks/etcd-restore-ha.yaml) over SSH when the network
// side fails, on a real 3-master sandbox (each master its own OpenSSH server):
//   - node2's sshd is killed (its PID from sandbox.json) while the stop waits on it: the
//     run cannot undo node2, so its exit code must say changes may remain (3), or the
//     hosts must be back; with sshd started again, `drbook rollback ID` brings every
//     master back, exit 0;
// (The host that accepts TCP and never speaks SSH: support/silent-host.ts, run by
// kill-points-ha.test.ts on its sandbox.) The full sweep only (DRBOOK_FAULTS=full).
// Loopback prefix: 127.0.184.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findProcesses, parentOf, launchSshd } from '@drbook/sandbox';
import { isProcessAlive } from '@drbook/system';
import { FULL, newFigures, printFigures } from './support/figures.js';
import { BEFORE_KEY, healthy, observeBefore } from './support/kill-case.js';
import { settle } from './support/settle.js';
import { saveSnapshot, startTarget, stopTarget, type Target } from './support/target.js';
import { watchRun } from './support/watched-run.js';

let target: Target | undefined;
let snapshot = '';
const started: number[] = [];
before(async () => {
  if (!FULL) return; // its one case is in the full sweep only: no sandbox for nothing
  target = await startTarget('127.0.184.', true);
  const put = await target.etcdctl(['put', BEFORE_KEY, 'in the snapshot']);
  assert.equal(put.exitCode, 0, put.stderr);
  snapshot = await saveSnapshot(target, join(target.base, 'good.db'));
});
after(async () => {
  if (target) await stopTarget(target);
  for (const pid of started) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
});

test(
  "node2's sshd killed while the stop waits on it: the exit code says what the hosts are in; with sshd back, `drbook rollback` recovers every master",
  { skip: !FULL && 'sampled run (DRBOOK_FAULTS=full runs it)' },
  async () => {
    const sbx = target!;
    assert.ok(await healthy(sbx), 'the cluster is healthy before the case');
    const figures = newFigures(`sshd-killed ${sbx.label}`);
    const b = await observeBefore(sbx, 'sshd-killed');
    const node = sbx.info.nodes[1]!;
    const sshd = node.sshd!;
    const stateDir = join(sbx.base, 'state-sshd-killed');
    const run = watchRun(sbx.runArgs(stateDir, snapshot), sbx.env);
    await run.event((e) => e.type === 'change.started' && e.stepId === 'stop-control-plane' && e.host === node.name && /wait/i.test(String(e.description)));
    // The listener AND its per-connection sessions (killing only the listener leaves
    // drbook's established connection up: the first sweep saw the run finish, exit 0).
    const sessions = findProcesses(() => true).filter((pid) => parentOf(pid) === sshd.pid);
    process.kill(sshd.pid!, 'SIGKILL');
    for (const pid of sessions) process.kill(pid, 'SIGKILL');
    const result = await run.done;
    const problems = await settle(sbx, figures, 'sshd killed mid-run', b, stateDir, result, {
      expect: [0, 1, 3], // 0 only if the hosts are restored (settle checks): drbook may reconnect once sshd is back
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
  },
);
