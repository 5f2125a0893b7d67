// The multi-master restore of a snapshot that only ONE master has (`-p
// snapshotFromHost=node1`), end to end through the real CLI on a real 3-node sandbox,
// each master behind its own sshd: the dry-run plans the copy (node1 → this machine →
// node2, node3) and its preflight judges the copies by node1's file; the real run
// copies it (SHA-256 checked), restores, and leaves exactly the snapshot's data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEvents } from './support/cli.js';
import { PREFIX_HA_COPY, inventoryCopy, readCluster, readKeys, runHa, saveSnapshot, useHaSandbox, waitForEtcd } from './support/ha-sandbox.js';

const SSH = process.env.DRBOOK_E2E_HA_LOCAL !== '1';
const sandbox = useHaSandbox(PREFIX_HA_COPY, { ssh: SSH });
const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

test('a snapshot on one master only is copied to the others through this machine (SHA-256 checked), judged in the dry-run by its source, and restored on all three', async () => {
  const sbx = sandbox();
  const keys = await readKeys(sbx);
  const saved = await saveSnapshot(sbx, join(sbx.base, 'good.db'));
  const put = await sbx.etcdctl(['put', '/drbook-e2e/after-snapshot', 'written after the snapshot']);
  assert.equal(put.exitCode, 0, put.stderr);
  const oldCluster = await readCluster(sbx);

  // Each master has its own folder (as on separate machines); only node1 has the snapshot.
  const paths = Object.fromEntries(sbx.info.nodes.map((n) => [n.name, join(n.root, 'etcd-restore.db')]));
  await copyFile(saved.file, paths.node1!);
  const inventory = await inventoryCopy(sbx, 'copy', Object.fromEntries(Object.entries(paths).map(([node, snapshot]) => [node, { snapshot }])));
  const size = (await readFile(saved.file)).length;

  const dry = await runHa(sbx, join(sbx.base, 'state-dry'), ['-p', 'snapshotFromHost=node1', '--dry-run', '-o', 'json'], { inventory });
  assert.equal(dry.code, 0, dry.stdout + dry.stderr);
  const dryEvents = parseEvents(dry.stdout);
  assert.deepEqual(
    dryEvents.filter((e) => e.type === 'change.started'),
    [],
    'nothing applied',
  );
  const copies = Object.fromEntries(
    dryEvents.filter((e) => e.type === 'host.planned' && e.stepId === 'copy-snapshot').map((e) => [e.host, e.changes.map((c: { description: string }) => c.description)]),
  );
  assert.deepEqual(copies.node1, [], 'the source has nothing to do');
  for (const node of ['node2', 'node3']) {
    assert.deepEqual(copies[node], [`copy node1:${paths.node1} (${size} bytes, sha256 ${saved.sha256}) to ${node}:${paths[node]} via this machine`]);
    assert.equal(existsSync(paths[node]!), false, `${node}: nothing copied by the dry-run`);
  }
  const dryPreflight = dryEvents.filter((e) => e.type === 'host.finding' && e.stepId === 'preflight').map((e) => e.finding.message);
  assert.equal(dryPreflight.filter((m) => m.includes('is not there yet: an earlier step copies it from node1')).length, 2);
  assert.ok(
    dryPreflight.some((m) => m.includes(`identical on node1, node2, node3 (sha256 ${saved.sha256})`)),
    dryPreflight.join('\n'),
  );
  assert.equal(dryEvents.filter((e) => e.type === 'host.finished' && e.stepId === 'preflight' && e.state === 'planned').length, 3, 'a plan says planned, never done');

  const stateDir = join(sbx.base, 'state-run');
  const result = await runHa(sbx, stateDir, ['-p', 'snapshotFromHost=node1', '--yes', '-o', 'json'], { inventory });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const events = parseEvents(result.stdout);
  assert.equal(events.at(-1)!.state, 'done');
  const runId = String(events.find((e) => e.type === 'run.started')?.runId);
  assert.deepEqual(
    events
      .filter((e) => e.type === 'change.finished' && e.stepId === 'copy-snapshot' && e.ok)
      .map((e) => e.host)
      .sort(),
    ['node2', 'node3'],
  );
  for (const node of ['node2', 'node3']) assert.equal(await sha256(paths[node]!), saved.sha256, `${node} holds node1's snapshot`);
  assert.equal(existsSync(join(stateDir, 'runs', runId, 'transfers')), false, 'the download was removed after the last copy');

  await waitForEtcd(sbx);
  const cluster = await readCluster(sbx);
  assert.deepEqual(cluster.members, sbx.info.nodes.map((n) => `${n.name} https://${n.ip}:2380`).sort());
  assert.equal(new Set(cluster.clusterIds).size, 1, 'one cluster id');
  assert.notEqual(cluster.clusterIds[0], oldCluster.clusterIds[0], 'a new logical cluster');
  assert.equal(new Set(cluster.leaders).size, 1, 'exactly one leader');
  for (let node = 0; node < 3; node++) assert.deepEqual(await readKeys(sbx, node), keys, `${sbx.info.nodes[node]!.name} serves exactly the snapshot's keys`);
});
