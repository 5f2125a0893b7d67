// The multi-master restore end to end: runbooks/etcd-restore-ha.yaml through the real
// CLI on a real 3-node sandbox (3 etcd members over TLS, one API server per master),
// each master reached over its own sshd when the sandbox has them. One sandbox for the
// file; the tests run in order and each leaves the cluster serving (the rollback test
// checks exactly that before the full restore runs last).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSnapshotKeys } from '../../src/etcd/snapshot-keys.js';
import { pathsOfNode } from '@drbook/sandbox';
import { parseEvents, runCli } from './support/cli.js';
import { writeLateFailingKubectl } from './support/late-failure.js';
import {
  HA_RUNBOOK,
  PREFIX_HA,
  fingerprintNodes,
  inventoryCopy,
  readCluster,
  readKeys,
  runHa,
  runningOn,
  saveSnapshot,
  useHaSandbox,
  waitForApiServers,
  waitForEtcd,
  writeFailingEtcdctl,
  type HaSandbox,
} from './support/ha-sandbox.js';

// Over SSH (one sshd per master, strict host keys); DRBOOK_E2E_HA_LOCAL=1 runs the same tests on local hosts.
const SSH = process.env.DRBOOK_E2E_HA_LOCAL !== '1';
const sandbox = useHaSandbox(PREFIX_HA, { ssh: SSH });
const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

interface Saved {
  file: string;
  sha256: string;
  /** Every key and value the cluster served when the snapshot was taken. */
  keys: Record<string, string>;
}
let saved: Saved | undefined;
async function snapshot(sbx: HaSandbox): Promise<Saved> {
  if (!saved) {
    const keys = await readKeys(sbx);
    const { file, sha256 } = await saveSnapshot(sbx, join(sbx.base, 'good.db'));
    saved = { file, sha256, keys };
    // Written after the snapshot: the old cluster must still have it after a rollback,
    // and the restored one must not.
    const put = await sbx.etcdctl(['put', '/drbook-e2e/after-snapshot', 'written after the snapshot']);
    assert.equal(put.exitCode, 0, put.stderr);
  }
  return saved;
}

const stepsStarted = (events: Array<Record<string, any>>) => events.filter((e) => e.type === 'step.started').map((e) => e.stepId);

/** Accepted SSH logins per node, from each node's sshd log (0 for local sandboxes). */
async function sshLogins(sbx: HaSandbox): Promise<number[]> {
  return Promise.all(
    sbx.info.nodes.map(async (node) => {
      const log = await readFile(join(node.root, 'var', 'log', 'sshd.log'), 'utf8').catch(() => '');
      return (log.match(/Accepted publickey/g) ?? []).length;
    }),
  );
}

test('validate accepts the runbook; its plan (a dry-run) changes nothing on any master and plans one cluster: the member table, the same --initial-cluster and token, each host its own member', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  const before = await fingerprintNodes(sbx);
  const keys = await readKeys(sbx);
  const logins = await sshLogins(sbx);
  const valid = await runCli(['validate', HA_RUNBOOK, sbx.info.inventory]);
  assert.equal(valid.code, 0, valid.stdout + valid.stderr);
  const result = await runHa(sbx, join(sbx.base, 'state-dry'), ['-p', `snapshot=${snap.file}`, '-o', 'json'], { command: ['plan'] });
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 0, out);
  const events = parseEvents(result.stdout);
  assert.deepEqual(
    events.filter((e) => e.type === 'change.started'),
    [],
    'nothing applied',
  );

  // The membership from facts: each row the member's name, peer URL, its host, its live id and its id in the snapshot.
  const table = events.find((e) => e.type === 'host.finding' && e.stepId === 'preflight' && /^etcd membership \(3 inventory host\(s\), 3 live member\(s\), 3 in the snapshot/.test(e.finding.message));
  assert.ok(table, 'the preflight shows the membership table');
  for (const node of sbx.info.nodes) assert.match(table.finding.message, new RegExp(`${node.name}\\s+https://${node.ip.replaceAll('.', '\\.')}:2380\\s+${node.name}\\s+[0-9a-f]+`));
  assert.ok(events.some((e) => e.type === 'host.finding' && e.stepId === 'preflight' && e.finding.message.includes(`identical on node1, node2, node3 (sha256 ${snap.sha256})`)));

  const restores = events.filter((e) => e.type === 'host.planned' && e.stepId === 'restore');
  assert.equal(restores.length, 3);
  const cluster = sbx.info.nodes.map((n) => `${n.name}=https://${n.ip}:2380`).join(',');
  for (const planned of restores) {
    const command = String(planned.changes[0].command);
    const node = sbx.info.nodes.find((n) => n.name === planned.host)!;
    assert.match(command, new RegExp(`--name ${node.name} --initial-cluster ${cluster} --initial-advertise-peer-urls https://${node.ip}:2380 `), command);
  }
  const tokens = new Set(restores.map((p) => /--initial-cluster-token (\S+)/.exec(String(p.changes[0].command))?.[1]));
  assert.equal(tokens.size, 1, 'one token for every member');
  assert.match([...tokens][0]!, /^drbook-\d{8}T\d{6}Z-/);

  assert.deepEqual(await fingerprintNodes(sbx), before, 'every node byte-identical');
  assert.deepEqual(await readKeys(sbx), keys);
  if (SSH)
    assert.deepEqual(
      (await sshLogins(sbx)).map((n, i) => n - logins[i]!),
      [1, 1, 1],
      'one SSH connection per host',
    );
});

test('a snapshot that differs on one master is refused by the preflight, before any change', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  // A real, intact snapshot, but of later data: only its SHA-256 tells it apart.
  const other = await saveSnapshot(sbx, join(sbx.base, 'other.db'));
  assert.notEqual(other.sha256, snap.sha256);
  const inventory = await inventoryCopy(sbx, 'odd-snapshot', { node1: { snapshot: snap.file }, node2: { snapshot: other.file }, node3: { snapshot: snap.file } });
  const before = await fingerprintNodes(sbx);
  const keys = await readKeys(sbx);
  const result = await runHa(sbx, join(sbx.base, 'state-odd'), ['--yes', '-o', 'json'], { inventory });
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 1, out);
  const events = parseEvents(result.stdout);
  assert.deepEqual(stepsStarted(events), ['upload-snapshot', 'copy-snapshot', 'preflight'], 'no step after the preflight started');
  assert.deepEqual(
    events.filter((e) => e.type === 'change.started'),
    [],
    'nothing was changed',
  );
  const finished = Object.fromEntries(events.filter((e) => e.type === 'host.finished' && e.stepId === 'preflight').map((e) => [e.host, e]));
  assert.equal(finished.node2?.state, 'failed');
  assert.match(String(finished.node2?.error), new RegExp(`differs between the hosts \\(node1, node3: ${snap.sha256}; node2: ${other.sha256}\\)`));
  assert.equal(finished.node1?.state, 'cancelled');
  assert.equal(finished.node3?.state, 'cancelled');
  assert.deepEqual(await fingerprintNodes(sbx), before);
  assert.deepEqual(await readKeys(sbx), keys);
});

test('a restore that fails on one master rolls every master back: the old 3-member cluster serves its pre-restore data', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  const failing = await writeFailingEtcdctl(sbx);
  const inventory = await inventoryCopy(sbx, 'node2-restore-fails', { node2: { etcdctl: failing } });
  const oldCluster = await readCluster(sbx);
  const keys = await readKeys(sbx);
  assert.equal(keys['/drbook-e2e/after-snapshot'], 'written after the snapshot');

  const result = await runHa(sbx, join(sbx.base, 'state-fail'), ['-p', `snapshot=${snap.file}`, '--yes', '-o', 'json'], { inventory });
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 1, out);
  const events = parseEvents(result.stdout);
  const restore = Object.fromEntries(events.filter((e) => e.type === 'host.finished' && e.stepId === 'restore').map((e) => [e.host, e]));
  assert.equal(restore.node2?.state, 'failed');
  assert.match(String(restore.node2?.error), /injected failure: write error: no space left on device/);
  assert.equal(restore.node1?.state, 'done', 'the other masters had restored');
  assert.equal(restore.node3?.state, 'done');
  assert.ok(!stepsStarted(events).includes('swap-data-dir'), 'nothing after the failed step started');
  const undone = events.filter((e) => e.type === 'undo.finished');
  assert.ok(
    undone.every((e) => e.ok),
    JSON.stringify(undone.filter((e) => !e.ok)),
  );
  for (const host of ['node1', 'node2', 'node3']) {
    assert.ok(
      undone.some((e) => e.host === host && e.stepId === 'restore'),
      `${host}: its (partial) restore undone`,
    );
    assert.ok(
      undone.some((e) => e.host === host && e.stepId === 'stop-control-plane'),
      `${host}: its control plane started again`,
    );
  }
  assert.equal(events.at(-1)!.state, 'rolled-back');

  // The old cluster, with its old data: the same cluster id and members, one leader, and the key written after the snapshot.
  await waitForEtcd(sbx);
  const cluster = await readCluster(sbx);
  assert.deepEqual(cluster.members, oldCluster.members);
  assert.deepEqual(new Set(cluster.clusterIds), new Set(oldCluster.clusterIds));
  assert.equal(new Set(cluster.clusterIds).size, 1);
  assert.deepEqual(cluster.memberIds, oldCluster.memberIds);
  assert.equal(new Set(cluster.leaders).size, 1, 'one leader');
  for (let node = 0; node < 3; node++) {
    assert.deepEqual(await readKeys(sbx, node), keys, `${sbx.info.nodes[node]!.name} serves its pre-restore data`);
    assert.deepEqual(await runningOn(sbx, node), CONTROL_PLANE);
    const p = pathsOfNode(sbx.info.nodes[node]!.root);
    // var/lib/kubelet is the kubelet's own, beside /var/lib/etcd on every kubeadm node.
    const left = (await readdir(join(p.dataDir, '..'))).filter((name) => name !== 'etcd' && name !== 'kubelet');
    assert.deepEqual(left, [], `${sbx.info.nodes[node]!.name}: no restored or moved data dir left beside etcd`);
    assert.deepEqual(
      (await readdir(p.manifestsDir)).sort(),
      CONTROL_PLANE.map((pod) => `${pod}.yaml`),
    );
  }
  await waitForApiServers(sbx);
});

test('a failure on one master after the restored cluster ran rolls every master back: restored members stopped, old data dirs and the old cluster back', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  // verify-nodes fails on node2 only: by then the restored 3-member cluster and its API servers have run.
  const node2 = pathsOfNode(sbx.info.nodes[1]!.root);
  const inventory = await inventoryCopy(sbx, 'node2-late-failure', { node2: { kubectl: await writeLateFailingKubectl(sbx.base, 'node2-late', node2.dataDir) } });
  const oldCluster = await readCluster(sbx);
  const keys = await readKeys(sbx);
  const result = await runHa(sbx, join(sbx.base, 'state-late'), ['-p', `snapshot=${snap.file}`, '--yes', '-o', 'json'], { inventory });
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 1, out);
  const events = parseEvents(result.stdout);
  const done = (step: string) => events.filter((e) => e.type === 'host.finished' && e.stepId === step && e.state === 'done').length;
  assert.equal(done('wait-quorum'), 3, 'the restored cluster had reached quorum');
  assert.equal(done('verify-etcd'), 3);
  assert.match(String(events.find((e) => e.type === 'host.finished' && e.stepId === 'verify-nodes' && e.host === 'node2')?.error), /Unauthorized\) \(injected\)/);
  const undone = events.filter((e) => e.type === 'undo.finished');
  assert.ok(
    undone.every((e) => e.ok),
    JSON.stringify(undone.filter((e) => !e.ok)),
  );
  for (const step of ['start-control-plane', 'start-etcd', 'swap-data-dir', 'restore', 'stop-control-plane']) {
    assert.deepEqual([...new Set(undone.filter((e) => e.stepId === step).map((e) => e.host))].sort(), ['node1', 'node2', 'node3'], `${step} undone on every master`);
  }
  // Undone step by step across the masters: no old member started before every restored one stopped.
  const order = undone.map((e) => e.stepId).filter((id, i, all) => all.indexOf(id) === i);
  assert.deepEqual(order, ['start-control-plane', 'start-etcd', 'swap-data-dir', 'restore', 'stop-control-plane']);
  assert.equal(events.at(-1)!.state, 'rolled-back');

  await waitForEtcd(sbx);
  const cluster = await readCluster(sbx);
  assert.deepEqual(cluster.members, oldCluster.members);
  assert.deepEqual(cluster.memberIds, oldCluster.memberIds, 'the old members, not the restored ones');
  assert.deepEqual(new Set(cluster.clusterIds), new Set(oldCluster.clusterIds));
  assert.equal(new Set(cluster.leaders).size, 1);
  for (let node = 0; node < 3; node++) {
    assert.deepEqual(await readKeys(sbx, node), keys, `${sbx.info.nodes[node]!.name} serves its pre-restore data again`);
    assert.deepEqual(await runningOn(sbx, node), CONTROL_PLANE);
    const p = pathsOfNode(sbx.info.nodes[node]!.root);
    assert.deepEqual(
      (await readdir(join(p.dataDir, '..'))).filter((name) => name !== 'etcd' && name !== 'kubelet'),
      [],
    );
  }
  await waitForApiServers(sbx);
});

test('--no-rollback leaves the restored cluster for a human; `drbook rollback RUN_ID` later brings the old cluster back on every master, from the journal', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  const node2 = pathsOfNode(sbx.info.nodes[1]!.root);
  const inventory = await inventoryCopy(sbx, 'node2-late-failure-kept', { node2: { kubectl: await writeLateFailingKubectl(sbx.base, 'node2-kept', node2.dataDir) } });
  const oldCluster = await readCluster(sbx);
  const keys = await readKeys(sbx);
  const stateDir = join(sbx.base, 'state-kept');
  const failed = await runHa(sbx, stateDir, ['-p', `snapshot=${snap.file}`, '--yes', '--no-rollback', '-o', 'json'], { inventory });
  assert.equal(failed.code, 3, failed.stdout + failed.stderr);
  const runId = String(parseEvents(failed.stdout).find((e) => e.type === 'run.started')?.runId);
  await waitForEtcd(sbx);
  const restored = await readCluster(sbx);
  assert.notDeepEqual(restored.memberIds, oldCluster.memberIds, 'the restored cluster was left running');
  assert.equal((await readKeys(sbx))['/drbook-e2e/after-snapshot'], undefined);

  const rollback = await runCli(['rollback', runId, '--state-dir', stateDir, '-o', 'plain'], { env: sbx.env });
  assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
  await waitForEtcd(sbx);
  const cluster = await readCluster(sbx);
  assert.deepEqual(cluster.memberIds, oldCluster.memberIds, 'the old members are back');
  assert.deepEqual(new Set(cluster.clusterIds), new Set(oldCluster.clusterIds));
  assert.equal(new Set(cluster.leaders).size, 1);
  for (let node = 0; node < 3; node++) {
    assert.deepEqual(await readKeys(sbx, node), keys, `${sbx.info.nodes[node]!.name} serves its pre-restore data again`);
    assert.deepEqual(await runningOn(sbx, node), CONTROL_PLANE);
  }
  await waitForApiServers(sbx);
});

test("a 3-member restore of a snapshot uploaded from the operator's machine brings back exactly that snapshot on every member: 3 members, one leader, one new cluster, nodes Ready", async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  const oldCluster = await readCluster(sbx);
  // Each master gets its own copy, in its own folder (as on separate machines).
  const destinations = Object.fromEntries(sbx.info.nodes.map((n) => [n.name, { snapshot: join(n.root, 'etcd-restore.db') }]));
  const inventory = await inventoryCopy(sbx, 'upload', destinations);
  // The dry-run plans the upload and judges the operator's file in its place.
  const dry = await runHa(sbx, join(sbx.base, 'state-ok'), ['-p', `snapshotSource=${snap.file}`, '--dry-run', '-o', 'json'], { inventory });
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  const dryEvents = parseEvents(dry.stdout);
  assert.equal(dryEvents.filter((e) => e.type === 'host.planned' && e.stepId === 'upload-snapshot' && /^upload /.test(e.changes[0]?.description)).length, 3);
  assert.equal(dryEvents.filter((e) => e.type === 'host.finding' && e.stepId === 'preflight' && /is not there yet: an earlier step uploads/.test(e.finding.message)).length, 3);
  const logins = await sshLogins(sbx);
  const result = await runHa(sbx, join(sbx.base, 'state-ok'), ['-p', `snapshotSource=${snap.file}`, '--yes', '-o', 'json'], { inventory });
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 0, out);
  const events = parseEvents(result.stdout);
  assert.equal(events.at(-1)!.state, 'done');
  const runId = String(events.find((e) => e.type === 'run.started')?.runId);
  assert.deepEqual(
    events
      .filter((e) => e.type === 'change.finished' && e.stepId === 'upload-snapshot' && e.ok)
      .map((e) => e.host)
      .sort(),
    ['node1', 'node2', 'node3'],
  );
  for (const { snapshot: copy } of Object.values(destinations)) assert.deepEqual(await readFile(copy), await readFile(snap.file), `${copy} is the operator's file`);
  const preflight = events
    .filter((e) => e.type === 'host.finding' && e.stepId === 'preflight')
    .map((e) => e.finding.message)
    .join('\n');
  assert.match(preflight, new RegExp(`identical on node1, node2, node3 \\(sha256 ${snap.sha256}\\)`));

  await waitForEtcd(sbx);
  const cluster = await readCluster(sbx);
  assert.deepEqual(cluster.members, sbx.info.nodes.map((n) => `${n.name} https://${n.ip}:2380`).sort(), 'every member, with its own peer URL');
  assert.equal(cluster.clusterIds.length, 3);
  assert.equal(new Set(cluster.clusterIds).size, 1, 'one cluster id');
  assert.notEqual(cluster.clusterIds[0], oldCluster.clusterIds[0], 'a new logical cluster (fresh token)');
  assert.equal(new Set(cluster.leaders).size, 1, 'exactly one leader');
  assert.ok(cluster.memberIds.includes(cluster.leaders[0]!), 'the leader is a member');

  // Exactly the snapshot's keys and values, on each member's own data.
  const inSnapshot = readSnapshotKeys(await readFile(snap.file)).keys;
  assert.deepEqual(Object.keys(snap.keys).sort(), [...inSnapshot].sort(), "the keys read when the snapshot was taken are the snapshot's");
  for (let node = 0; node < 3; node++) {
    const keys = await readKeys(sbx, node);
    assert.deepEqual(keys, snap.keys, `${sbx.info.nodes[node]!.name} serves exactly the snapshot's keys`);
    assert.equal(keys['/drbook-e2e/after-snapshot'], undefined);
    const p = pathsOfNode(sbx.info.nodes[node]!.root);
    assert.ok((await readdir(join(p.dataDir, '..'))).includes(`etcd-old-${runId}`), 'the old data dir is kept');
  }

  await waitForApiServers(sbx);
  for (let node = 0; node < 3; node++) {
    const nodes = await sbx.kubectl(node, ['get', 'nodes', '-o', 'json']);
    assert.equal(nodes.exitCode, 0, nodes.stderr);
    const items = (JSON.parse(nodes.stdout) as { items: Array<{ metadata: { name: string }; status: { conditions: Array<{ type: string; status: string }> } }> }).items;
    assert.deepEqual(items.map((i) => i.metadata.name).sort(), ['node1', 'node2', 'node3', 'worker1', 'worker2']);
    assert.ok(
      items.every((i) => i.status.conditions.find((c) => c.type === 'Ready')?.status === 'True'),
      'every node Ready',
    );
  }
  if (SSH)
    assert.deepEqual(
      (await sshLogins(sbx)).map((n, i) => n - logins[i]!),
      [1, 1, 1],
      'one SSH connection per host for the whole run',
    );
});
