// kill -9 inside the restore of a real single-master sandbox (local hosts), at the points
// the reviewers' reproducers hit, made deterministic with DRBOOK_FAULT (SIGKILL between a
// change's command and its journaled result). Then:
//   - `drbook rollback RUN_ID`: the manifests byte-identical, the ORIGINAL data dir back
//     (same inode), every pod running, the key written after the snapshot served, exit 0;
//   - `drbook resume RUN_ID`: the run completes and the runbook's own verification passes
//     in the resumed process (the restored keys, the old data dir kept).
// One sandbox for the file: each rollback leaves it as it was (that is what is checked),
// each resume leaves a restored, healthy cluster for the next case.
// Loopback prefix: 127.0.130. (H4's range 127.0.130.–127.0.139.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEvents, runCli } from './support/cli.js';
import { fingerprintTree } from './support/tree.js';
import { RESTORE_RUNBOOK, readKeyspace, runningContainers, saveSnapshot, useFileSandbox, waitForApiServer, type E2eSandbox } from './support/sandbox.js';

const sandbox = useFileSandbox('127.0.130.');
const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

// Change indexes on node1: stop-control-plane #0 mkdir stash, #1 kube-apiserver.yaml,
// #2 controller-manager, #3 scheduler, #4 etcd.yaml, #5 wait; restore #0; swap-data-dir #0 keep the old dir.
const KILL_POINTS = [
  { name: 'after kube-apiserver.yaml moved to the stash', fault: 'kill-before-result:stop-control-plane:node1:1' },
  { name: 'after etcd.yaml moved to the stash', fault: 'kill-before-result:stop-control-plane:node1:4' },
  { name: 'after the restore (etcdctl && mv) finished', fault: 'kill-before-result:restore:node1:0' },
  { name: "after dir.swap's first move (the old data dir kept aside)", fault: 'kill-before-result:swap-data-dir:node1:0' },
];

interface Before {
  manifests: Record<string, string>;
  dataDirInode: number;
  keys: Awaited<ReturnType<typeof readKeyspace>>;
}

async function putAfterSnapshot(sbx: E2eSandbox, value: string): Promise<void> {
  const put = await sbx.etcdctl(['put', '/drbook-e2e/after-snapshot', value]);
  assert.equal(put.exitCode, 0, put.stderr);
}

async function observe(sbx: E2eSandbox): Promise<Before> {
  return { manifests: await fingerprintTree(sbx.paths.kubernetesDir), dataDirInode: (await stat(sbx.paths.dataDir)).ino, keys: await readKeyspace(sbx) };
}

/** The restore, killed at `fault`; returns its run id and state dir. */
async function crashedRestore(sbx: E2eSandbox, snapshot: string, fault: string, label: string): Promise<{ runId: string; stateDir: string }> {
  const stateDir = join(sbx.base, `state-${label}`);
  const crashed = await runCli(['run', RESTORE_RUNBOOK, '-i', sbx.info.inventory, '-t', 'masters', '--state-dir', stateDir, '-p', `snapshot=${snapshot}`, '--yes', '-o', 'json'], {
    env: { ...sbx.env, DRBOOK_FAULT: fault },
  });
  assert.equal(crashed.signal, 'SIGKILL', `${fault}: ${crashed.stdout.slice(-2000)}${crashed.stderr}`);
  const runId = String(parseEvents(crashed.stdout).find((e) => e.type === 'run.started')?.runId);
  return { runId, stateDir };
}

let snapshotFile: string | undefined;
async function snapshot(sbx: E2eSandbox): Promise<string> {
  snapshotFile ??= (await saveSnapshot(sbx, join(sbx.base, 'good.db'))).file;
  return snapshotFile;
}

for (const [i, point] of KILL_POINTS.entries()) {
  test(`killed ${point.name}, before its result: \`drbook rollback\` brings the old control plane back — manifests byte-identical, the original data dir, pods running, the post-snapshot key served`, async () => {
    const sbx = sandbox();
    const snap = await snapshot(sbx);
    await putAfterSnapshot(sbx, `written after the snapshot (${i})`);
    const before = await observe(sbx);
    const { runId, stateDir } = await crashedRestore(sbx, snap, point.fault, `rb${i}`);

    const rollback = await runCli(['rollback', runId, '--state-dir', stateDir, '-o', 'plain'], { env: sbx.env });
    const out = rollback.stdout + rollback.stderr;
    assert.equal(rollback.code, 0, out);
    assert.match(out, /every check says reverted/);
    assert.deepEqual(await fingerprintTree(sbx.paths.kubernetesDir), before.manifests, 'manifests (and stash) byte-identical');
    assert.equal((await stat(sbx.paths.dataDir)).ino, before.dataDirInode, 'the original data dir, not a new one');
    assert.deepEqual(
      (await readdir(join(sbx.paths.dataDir, '..'))).filter((n) => n.includes(runId)),
      [],
      'nothing of the run left beside it',
    );
    assert.deepEqual(await runningContainers(sbx), CONTROL_PLANE.slice().sort());
    assert.deepEqual(await readKeyspace(sbx), before.keys, 'etcd serves exactly what it served, the post-snapshot key included');
    await waitForApiServer(sbx);
  });
}

for (const [i, point] of KILL_POINTS.entries()) {
  test(`killed ${point.name}, before its result: \`drbook resume\` completes the restore and its verification passes in the resumed process`, async () => {
    const sbx = sandbox();
    const snap = await snapshot(sbx);
    await putAfterSnapshot(sbx, `written after the snapshot (resume ${i})`);
    const before = await observe(sbx);
    const { runId, stateDir } = await crashedRestore(sbx, snap, point.fault, `rs${i}`);

    const resumed = await runCli(['resume', runId, '--state-dir', stateDir, '--yes', '-o', 'json'], { env: sbx.env });
    const out = resumed.stdout + resumed.stderr;
    assert.equal(resumed.code, 0, out);
    const events = parseEvents(resumed.stdout);
    const probed = events.filter((e) => e.type === 'change.probed' && e.phase === 'resume');
    assert.equal(probed.length, 1, 'the change cut off is resolved by its check');
    assert.equal(probed[0]!.verdict, 'applied');
    // The runbook's own verification ran in this process, after the last change.
    for (const step of ['verify-etcd', 'verify-nodes'])
      assert.ok(
        events.some((e) => e.type === 'host.finished' && e.stepId === step && e.state === 'done'),
        `${step} ran on resume`,
      );
    assert.equal(events.find((e) => e.type === 'run.finished')?.state, 'done');

    const keys = await readKeyspace(sbx);
    assert.equal(keys.kvs['/drbook-e2e/after-snapshot'], undefined, "the restored data is the snapshot's");
    assert.equal((await stat(`${sbx.paths.dataDir}-old-${runId}`)).ino, before.dataDirInode, 'the old data dir is kept, itself');
    assert.notEqual((await stat(sbx.paths.dataDir)).ino, before.dataDirInode);
    const manifests = await fingerprintTree(sbx.paths.manifestsDir);
    assert.deepEqual(
      manifests,
      Object.fromEntries(
        Object.entries(before.manifests)
          .filter(([p]) => p.startsWith('manifests/'))
          .map(([p, v]) => [p.slice('manifests/'.length), v]),
      ),
      'the manifests are back, byte-identical',
    );
    assert.deepEqual(await runningContainers(sbx), CONTROL_PLANE.slice().sort());
    await waitForApiServer(sbx);
  });
}

test('killed in the last step, after the verification steps were done: `drbook resume` runs the verification again (the journal saying "done" is not enough) and completes', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  const restarts = async () => JSON.parse(await readFile(sbx.paths.kubeletStateFile, 'utf8')).restarts as number;
  const restartsBefore = await restarts();
  const { runId, stateDir } = await crashedRestore(sbx, snap, 'kill-before-result:restart-kubelet:node1:0', 'late');
  await waitForApiServer(sbx);
  const resumed = await runCli(['resume', runId, '--state-dir', stateDir, '--yes', '-o', 'json'], { env: sbx.env });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  const events = parseEvents(resumed.stdout);
  const ran = [...new Set(events.filter((e) => e.type === 'step.started').map((e) => e.stepId))];
  for (const step of ['verify-etcd', 'verify-nodes']) {
    assert.ok(
      events.some((e) => e.type === 'change.started' && e.stepId === step),
      `${step} ran again in the resumed process`,
    );
  }
  assert.ok(
    !events.some((e) => e.type === 'change.started' && ['stop-control-plane', 'restore', 'swap-data-dir', 'start-control-plane'].includes(e.stepId)),
    `no change step ran again (${ran.join(', ')})`,
  );
  // The kubelet restart (k8s.kubelet-restart) has a check: the kubelet's identity changed, so the cut-off restart is found done, not repeated.
  const restartEvents = events
    .filter((e) => e.stepId === 'restart-kubelet')
    .map((e) => JSON.stringify(e))
    .join('\n');
  assert.ok(!events.some((e) => e.type === 'change.started' && e.stepId === 'restart-kubelet'), `the restart, probed as applied, does not run again:\n${restartEvents}`);
  assert.equal(await restarts(), restartsBefore + 1, 'the kubelet restarted exactly once');
  assert.equal(events.find((e) => e.type === 'run.finished')?.state, 'done');
  await waitForApiServer(sbx);
});
