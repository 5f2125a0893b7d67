// kill -9 inside the multi-master restore (runbooks/etcd-restore-ha.yaml) on a real
// 3-node sandbox, each master over its own sshd: the hosts run every step in parallel, so
// when drbook dies between one host's change and its journaled result, the other hosts'
// changes of that step are cut off in flight too. Their checks must resolve every one.
// DRBOOK_FAULT makes the kill deterministic. Rollback first (the old cluster must come
// back), then resume (the restore must complete).
// Loopback prefix: 127.0.131. (H4's range 127.0.130.–127.0.139.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathsOfNode } from '@drbook/sandbox';
import { parseEvents, runCli } from './support/cli.js';
import { HA_RUNBOOK, readCluster, readKeys, runningOn, saveSnapshot, useHaSandbox, waitForApiServers, waitForEtcd, type HaSandbox } from './support/ha-sandbox.js';
import { fingerprintTree } from './support/tree.js';

const sandbox = useHaSandbox('127.0.131.', { ssh: true });
const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

async function crashed(sbx: HaSandbox, snapshot: string, fault: string, label: string): Promise<{ runId: string; stateDir: string }> {
  const stateDir = join(sbx.base, `state-${label}`);
  const run = await runCli(['run', HA_RUNBOOK, '-i', sbx.info.inventory, '--state-dir', stateDir, '-p', `snapshot=${snapshot}`, '--yes', '-o', 'json'], { env: { ...sbx.env, DRBOOK_FAULT: fault } });
  assert.equal(run.signal, 'SIGKILL', `${fault}: ${run.stdout.slice(-2000)}${run.stderr}`);
  return { runId: String(parseEvents(run.stdout).find((e) => e.type === 'run.started')?.runId), stateDir };
}

const nodePaths = (sbx: HaSandbox) => sbx.info.nodes.map((n) => pathsOfNode(n.root));

test("killed after node2's first data-dir move (the other masters cut off in the same step): `drbook rollback` brings the old 3-member cluster back on every master", async () => {
  const sbx = sandbox();
  const snap = await saveSnapshot(sbx, join(sbx.base, 'good.db'));
  const put = await sbx.etcdctl(['put', '/drbook-e2e/after-snapshot', 'written after the snapshot']);
  assert.equal(put.exitCode, 0, put.stderr);
  const oldCluster = await readCluster(sbx);
  const keys = await readKeys(sbx);
  const manifests = await Promise.all(nodePaths(sbx).map((p) => fingerprintTree(p.kubernetesDir)));
  const inodes = await Promise.all(nodePaths(sbx).map(async (p) => (await stat(p.dataDir)).ino));

  const { runId, stateDir } = await crashed(sbx, snap.file, 'kill-before-result:swap-data-dir:node2:0', 'rollback');
  const runs = await runCli(['runs', '--json', '--state-dir', stateDir]);
  const listed = JSON.parse(runs.stdout.trim().split('\n')[0]!);
  assert.equal(listed.state, 'crashed');
  assert.ok(listed.inFlight >= 1, "at least node2's move is in flight");

  const rollback = await runCli(['rollback', runId, '--state-dir', stateDir, '-o', 'json'], { env: sbx.env });
  assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
  const events = parseEvents(rollback.stdout);
  const finished = events.find((e) => e.type === 'rollback.finished')!;
  assert.equal(finished.ok, true, finished.left?.join('\n'));
  assert.ok(events.some((e) => e.type === 'change.probed' && e.host === 'node2' && e.stepId === 'swap-data-dir' && e.index === 0 && e.phase === 'before-undo' && e.verdict === 'applied'));

  await waitForEtcd(sbx);
  const cluster = await readCluster(sbx);
  assert.deepEqual(cluster.memberIds, oldCluster.memberIds, 'the old members');
  assert.deepEqual(new Set(cluster.clusterIds), new Set(oldCluster.clusterIds));
  assert.equal(new Set(cluster.leaders).size, 1);
  for (const [i, p] of nodePaths(sbx).entries()) {
    const name = sbx.info.nodes[i]!.name;
    assert.deepEqual(await readKeys(sbx, i), keys, `${name} serves its pre-restore data, the post-snapshot key included`);
    assert.equal((await stat(p.dataDir)).ino, inodes[i], `${name}: the original data dir`);
    assert.deepEqual(await fingerprintTree(p.kubernetesDir), manifests[i], `${name}: manifests byte-identical`);
    assert.deepEqual(
      (await readdir(join(p.dataDir, '..'))).filter((n) => n.includes(runId)),
      [],
      `${name}: nothing of the run left`,
    );
    assert.deepEqual(await runningOn(sbx, i), CONTROL_PLANE);
  }
  await waitForApiServers(sbx);
});

test("killed after node3's etcd.yaml moved to the stash (the others cut off in flight): `drbook resume` resolves every master's change by its check and completes the restore", async () => {
  const sbx = sandbox();
  const snapKeys = await readKeys(sbx);
  const snap = await saveSnapshot(sbx, join(sbx.base, 'resume.db'));
  const put = await sbx.etcdctl(['put', '/drbook-e2e/after-resume-snapshot', 'written after the snapshot']);
  assert.equal(put.exitCode, 0, put.stderr);
  const oldCluster = await readCluster(sbx);
  const inodes = await Promise.all(nodePaths(sbx).map(async (p) => (await stat(p.dataDir)).ino));

  const { runId, stateDir } = await crashed(sbx, snap.file, 'kill-before-result:stop-control-plane:node3:4', 'resume');
  const resumed = await runCli(['resume', runId, '--state-dir', stateDir, '--yes', '-o', 'json'], { env: sbx.env });
  assert.equal(resumed.code, 0, resumed.stdout.slice(-3000) + resumed.stderr);
  const events = parseEvents(resumed.stdout);
  const probed = events.filter((e) => e.type === 'change.probed' && e.phase === 'resume');
  assert.ok(
    probed.some((e) => e.host === 'node3' && e.index === 4 && e.verdict === 'applied'),
    JSON.stringify(probed),
  );
  assert.ok(
    probed.every((e) => e.verdict !== 'unknown'),
    'every change cut off is resolved',
  );
  assert.equal(events.find((e) => e.type === 'run.finished')?.state, 'done');

  await waitForEtcd(sbx);
  const cluster = await readCluster(sbx);
  assert.equal(new Set(cluster.clusterIds).size, 1);
  assert.notEqual(cluster.clusterIds[0], oldCluster.clusterIds[0], 'a new logical cluster');
  assert.equal(new Set(cluster.leaders).size, 1);
  for (const [i, p] of nodePaths(sbx).entries()) {
    assert.deepEqual(await readKeys(sbx, i), snapKeys, `${sbx.info.nodes[i]!.name} serves exactly the snapshot's keys`);
    assert.equal((await stat(`${p.dataDir}-old-${runId}`)).ino, inodes[i], 'the old data dir is kept, itself');
    assert.deepEqual(await runningOn(sbx, i), CONTROL_PLANE);
  }
  await waitForApiServers(sbx);
});
