// Membership from facts, split-brain refusals, the dataDir check and the verification
// that the restore took, end to end on the faithful 3-master sandbox (kubeadm init on
// node1, node2 and node3 joined as learners: their manifests' --initial-cluster differ,
// values stored as protobuf), through the real CLI, local hosts.
// Loopback prefix of this file: 127.0.160. (H8's range 127.0.160.–127.0.169.)
// One sandbox; the tests run in order: the refusals change nothing, the standalone plan
// stops and restarts two members' etcd, the full restore runs last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { pathsOfNode } from '@drbook/sandbox';
import { predictRestoredCluster } from '../../src/etcd/member-id.js';
import { parseEvents, runCli } from './support/cli.js';
import { RESTORE_RUNBOOK } from './support/sandbox.js';
import { fingerprintNodes, inventoryCopy, readCluster, readKeys, runHa, runningOn, saveSnapshot, useHaSandbox, waitForEtcd, type HaSandbox } from './support/ha-sandbox.js';

const sandbox = useHaSandbox('127.0.160.', { ssh: false });
const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

let saved: { file: string; revision: number } | undefined;
async function snapshot(sbx: HaSandbox) {
  if (!saved) {
    saved = await saveSnapshot(sbx, join(sbx.base, 'snap.db'));
    const put = await sbx.etcdctl(['put', '/drbook-e2e/after-snapshot', 'written after the snapshot']);
    assert.equal(put.exitCode, 0, put.stderr);
  }
  return saved;
}

const errorsOf = (events: Array<Record<string, any>>) => events.filter((e) => e.type === 'host.finding' && e.finding.level === 'error').map((e) => `${e.host}: ${e.finding.message}`);

/** A run that must stop in the preflight: exit 1, no change started, every node byte-identical, the old cluster serving. */
async function assertRefused(sbx: HaSandbox, run: () => Promise<{ code: number | null; stdout: string; stderr: string }>, problem: RegExp) {
  const before = await fingerprintNodes(sbx);
  const keys = await readKeys(sbx);
  const result = await run();
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 1, out);
  const events = parseEvents(result.stdout);
  assert.match(errorsOf(events).join('\n'), problem);
  assert.deepEqual(
    events.filter((e) => e.type === 'change.started'),
    [],
    'nothing was changed',
  );
  assert.deepEqual(await fingerprintNodes(sbx), before, 'manifests and data dirs byte-identical on every node');
  assert.deepEqual(await readKeys(sbx), keys, 'the old cluster serves the same data');
  for (let node = 0; node < 3; node++) assert.deepEqual(await runningOn(sbx, node), CONTROL_PLANE);
  return events;
}

const single = (sbx: HaSandbox, args: string[], command = ['run']) =>
  runCli([...command, RESTORE_RUNBOOK, '-i', sbx.info.inventory, '-t', 'node1', '--state-dir', join(sbx.base, 'state-single'), '--yes', '-o', 'json', ...args], { env: sbx.env });

test('(a) the HA plan on the kubeadm-shaped 3 masters reads a 3-member table (live, snapshot, history) without refusing', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  const result = await runHa(sbx, join(sbx.base, 'state-plan'), ['-p', `snapshot=${snap.file}`, '-o', 'json'], { command: ['plan'] });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const events = parseEvents(result.stdout);
  assert.deepEqual(errorsOf(events), []);
  const table = events.find((e) => e.type === 'host.finding' && e.stepId === 'preflight' && /^etcd membership/.test(e.finding.message))?.finding.message as string;
  assert.match(table, /^etcd membership \(3 inventory host\(s\), 3 live member\(s\), 3 in the snapshot, 3 in manifests' --initial-cluster; who the members are: the live cluster's member list\)/);
  // kubeadm's history: node1's manifest lists only itself, node3's all three.
  assert.match(table, /node1\s+https:\/\/127\.0\.160\.\d+:2380\s+node1\s+[0-9a-f]+ leader\s+[0-9a-f]+\s+node1,node2,node3/);
  assert.match(table, /node3\s+https:\/\/127\.0\.160\.\d+:2380\s+node3\s+[0-9a-f]+\s+[0-9a-f]+\s+node3\n/);
  const cluster = sbx.info.nodes.map((n) => `${n.name}=https://${n.ip}:2380`).join(',');
  assert.match(table, new RegExp(`restore with --initial-cluster ${cluster}`));
  // The verification it plans: the new cluster id predicted from the restore's --initial-cluster and token.
  const runId = events.find((e) => e.type === 'run.started')?.runId as string;
  const predicted = predictRestoredCluster(cluster, `drbook-${runId}`);
  assert.ok(
    events.some((e) => e.type === 'host.finding' && e.stepId === 'verify-etcd' && e.finding.message.includes(`the restored cluster must be ${predicted.clusterId}`)),
    'verify-etcd predicts the new cluster id',
  );
});

test('(e) an inventory without node3 is refused before any change (the live list says 3 members); dropMembers=node3 plans a 2-member restore and says how to re-join it', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  const inventory = await inventoryCopy(sbx, 'without-node3', {});
  const doc = parse(await readFile(inventory, 'utf8')) as { groups: { masters: { hosts: string[] } } };
  doc.groups.masters.hosts = ['node1', 'node2'];
  await writeFile(inventory, stringify(doc));
  await assertRefused(
    sbx,
    () => runHa(sbx, join(sbx.base, 'state-e'), ['-p', `snapshot=${snap.file}`, '--yes', '-o', 'json'], { inventory }),
    /node1: the live cluster has 3 members, the inventory covers 2: node3 \(https:\/\/127\.0\.160\.\d+:2380\) is not covered .*-p dropMembers=node3/,
  );
  const dropped = await runHa(sbx, join(sbx.base, 'state-e'), ['-p', `snapshot=${snap.file}`, '-p', 'dropMembers=node3', '-o', 'json'], { inventory, command: ['plan'] });
  const events = parseEvents(dropped.stdout);
  assert.deepEqual(errorsOf(events), [], dropped.stdout + dropped.stderr);
  assert.equal(dropped.code, 0);
  const said = events
    .filter((e) => e.type === 'host.finding')
    .map((e) => e.finding.message)
    .join('\n');
  assert.match(said, /the restored cluster has only the 2 covered member\(s\) node1, node2; dropped: node3 .*member add/);
  const restore = events.find((e) => e.type === 'host.planned' && e.stepId === 'restore' && e.host === 'node2');
  assert.match(String(restore!.changes[0].command), /--initial-cluster node1=https:\/\/127\.0\.160\.\d+:2380,node2=https:\/\/127\.0\.160\.\d+:2380 /);
});

test('(c) the single-master runbook on node1 of the 3-member cluster refuses before any change, pointing to the HA runbook', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  await assertRefused(
    sbx,
    () => single(sbx, ['-p', `snapshot=${snap.file}`]),
    /node1: the etcd cluster has more than one member \(live: 3 .*; in the snapshot: 3 .*; node1's manifest --initial-cluster: 1\): restoring node1 alone would split the brain.*etcd-restore-ha\.yaml.*-p standalone=true/,
  );
});

test('(d) a dataDir that is not the dir etcd runs with is refused, naming both, and the run never reaches a change', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  const wrong = join(sbx.info.nodes[1]!.root, 'var', 'lib', 'etcd-elsewhere');
  await mkdir(wrong, { recursive: true });
  const inventory = await inventoryCopy(sbx, 'wrong-data-dir', { node2: { dataDir: wrong } });
  const right = pathsOfNode(sbx.info.nodes[1]!.root).dataDir;
  await assertRefused(
    sbx,
    () => runHa(sbx, join(sbx.base, 'state-d'), ['-p', `snapshot=${snap.file}`, '--yes', '-o', 'json'], { inventory }),
    new RegExp(`node2: dataDir ${wrong} is not the dir etcd runs with: kubeadm static pod .* runs etcd on ${right}.*pass -p dataDir=${right}`),
  );
});

test('(c) standalone: refused while the others run with quorum; with node2 and node3 down it plans node1 as a new 1-member cluster and says what the others need', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  await assertRefused(sbx, () => single(sbx, ['-p', `snapshot=${snap.file}`, '-p', 'standalone=true']), /standalone: the live cluster still has quorum .*its other members run/);
  // The other masters are lost: their etcd stopped (manifest moved out, as a kubelet would see it).
  const moved: Array<[string, string]> = [];
  for (const node of sbx.info.nodes.slice(1)) {
    const p = pathsOfNode(node.root);
    moved.push([join(p.manifestsDir, 'etcd.yaml'), join(node.root, 'etcd.yaml.away')]);
  }
  for (const [from, to] of moved) await rename(from, to);
  try {
    for (const i of [1, 2]) {
      const deadline = Date.now() + 30_000;
      while ((await runningOn(sbx, i)).includes('etcd') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    }
    const result = await single(sbx, ['-p', `snapshot=${snap.file}`, '-p', 'standalone=true'], ['plan']);
    const events = parseEvents(result.stdout);
    assert.deepEqual(errorsOf(events), [], result.stdout + result.stderr);
    assert.equal(result.code, 0);
    const said = events
      .filter((e) => e.type === 'host.finding')
      .map((e) => e.finding.message)
      .join('\n');
    assert.match(
      said,
      /standalone: node1 is restored as a NEW 1-member cluster \(--initial-cluster node1=https:\/\/127\.0\.160\.\d+:2380\); the other member\(s\) node[23] .*node[23] .*stop its etcd.*wipe its data dir.*member add/,
    );
    const restore = events.find((e) => e.type === 'host.planned' && e.stepId === 'restore');
    assert.match(String(restore!.changes[0].command), /--initial-cluster node1=https:\/\/127\.0\.160\.\d+:2380 --initial-advertise-peer-urls/);
  } finally {
    for (const [from, to] of moved) await rename(to, from);
    await waitForEtcd(sbx, 60_000);
  }
});

test('(b) the HA run restores every member: the predicted new cluster id, post-snapshot writes gone, old dirs kept', async () => {
  const sbx = sandbox();
  const snap = await snapshot(sbx);
  const before = await readCluster(sbx);
  const result = await runHa(sbx, join(sbx.base, 'state-b'), ['-p', `snapshot=${snap.file}`, '--yes', '-o', 'json']);
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 0, out);
  const events = parseEvents(result.stdout);
  const runId = events.find((e) => e.type === 'run.started')?.runId as string;
  assert.ok(runId, out);
  const cluster = sbx.info.nodes.map((n) => `${n.name}=https://${n.ip}:2380`).join(',');
  const predicted = predictRestoredCluster(cluster, `drbook-${runId}`);
  const after = await readCluster(sbx);
  const hex = (ids: string[]) => [...new Set(ids.map((id) => BigInt(id).toString(16)))];
  assert.deepEqual(hex(after.clusterIds), [predicted.clusterId], 'every member answers for the predicted cluster');
  assert.notDeepEqual(hex(before.clusterIds), [predicted.clusterId], 'a new cluster id');
  assert.deepEqual(hex(after.memberIds).sort(), predicted.members.map((m) => m.id).sort());
  assert.ok(
    after.revisions.every((r) => r >= snap.revision),
    `revisions ${after.revisions} >= ${snap.revision}`,
  );
  const keys = await readKeys(sbx);
  assert.equal(keys['/drbook-e2e/after-snapshot'], undefined, 'the post-snapshot write is gone');
  for (const node of sbx.info.nodes) {
    const lib = join(node.root, 'var', 'lib');
    assert.ok((await readdir(lib)).includes(`etcd-old-${runId}`), `${node.name} keeps its old data dir`);
  }
  assert.ok(
    events.some((e) => e.stepId === 'verify-etcd' && /the restored cluster runs: cluster id [0-9a-f]+ on every endpoint \(new, as predicted\)/.test(JSON.stringify(e))),
    'the verification says what it proved',
  );
});
