// H9's restore hygiene end to end on the faithful sandbox (1 master, 2 workers; loopback
// prefix 127.0.171.): the restored data dir owned by the user of the manifest's
// securityContext with mode 0700 (on disk); a snapshot bigger than the manifest's
// --quota-backend-bytes gets a larger quota on its first start (no NOSPACE alarm), and
// after a rollback the manifest is byte-identical; ghosts (a masterlease of a gone API
// server, a control-plane Node no restored member is named after) listed in the plan
// and removed after the verification, workers' Nodes kept; every kubelet restarted and
// counted in run/kubelet.json, the workers' by runbooks/kubelet-restart.yaml; a worker
// that cannot be reached named, and the restore untouched.
// The tests run in order on one sandbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify, parse } from 'yaml';
import { runCli } from './support/cli.js';
import { writeLateFailingKubectl } from './support/late-failure.js';
import { readKeyspace, retryUntilSuccess, runRestore, saveSnapshot, useFileSandbox, waitForApiServer } from './support/sandbox.js';
import { pathsOfNode } from '@drbook/sandbox';

const PREFIX = '127.0.171.';
const sandbox = useFileSandbox(PREFIX);
const LEASE = '/registry/masterleases/10.255.0.9';
const GHOST_NODE = '/registry/minions/old-master';
const QUOTA = 32768;
const [UID, GID] = [4242, 4243];

let snapshot: { file: string; size: number };
let editedManifest: Buffer;

test('setup: ghosts in the cluster, a snapshot, then a manifest with a small quota and a securityContext user', async () => {
  const sbx = sandbox();
  const node = {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name: 'old-master', labels: { 'node-role.kubernetes.io/control-plane': '' } },
    status: { conditions: [{ type: 'Ready', status: 'False' }] },
  };
  for (const [key, value] of [
    [LEASE, '{"kind":"Endpoints","apiVersion":"v1"}'],
    [GHOST_NODE, JSON.stringify(node)],
  ]) {
    const put = await sbx.etcdctl(['put', key!, value!]);
    assert.equal(put.exitCode, 0, put.stderr);
  }
  snapshot = await saveSnapshot(sbx, join(sbx.base, 'snapshot.db'));
  assert.ok(snapshot.size > QUOTA, 'the snapshot is bigger than the quota the manifest gets');
  const manifest = join(sbx.paths.manifestsDir, 'etcd.yaml');
  const text = await readFile(manifest, 'utf8');
  const edited = text
    .replace(/^(\s*)- --snapshot-count=/m, `$1- --quota-backend-bytes=${QUOTA}\n$1- --snapshot-count=`)
    .replace(/^(\s*)securityContext:\n(\s*)seccompProfile:/m, `$1securityContext:\n$2runAsGroup: ${GID}\n$2runAsUser: ${UID}\n$2seccompProfile:`);
  assert.notEqual(edited, text);
  await writeFile(manifest, edited);
  editedManifest = await readFile(manifest);
  await retryUntilSuccess(
    () => sbx.etcdctl(['endpoint', 'health']),
    Date.now() + 60_000,
    (last) => `etcd did not come back: ${last.stderr}`,
  );
});

test('the plan lists the ghosts and the quota raise before any change', async () => {
  const sbx = sandbox();
  const result = await runRestore(sbx, join(sbx.base, 'state-plan'), ['-p', `snapshot=${snapshot.file}`, '-o', 'plain'], ['plan']);
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 0, out);
  assert.match(out, new RegExp(`the quota ${QUOTA >> 10} MiB|quota 1 MiB|is smaller than the snapshot`));
  assert.match(out, /first start gets --quota-backend-bytes=\d+/);
  assert.match(out, /\/registry\/masterleases\/10\.255\.0\.9: no restored member has the address 10\.255\.0\.9/);
  assert.match(out, /\/registry\/minions\/old-master: a control-plane node/);
  assert.doesNotMatch(out, /\/registry\/minions\/worker\d: /, 'workers are never ghosts');
  assert.match(out, new RegExp(`etcd runs as ${UID}:${GID}`));
});

test('a restore that fails after the quota edit rolls back: the manifest byte-identical, the ghosts back', async () => {
  const sbx = sandbox();
  // verify-nodes is refused at once after the swap (late-failure.ts), not after its 5-minute wait.
  const kubectl = await writeLateFailingKubectl(sbx.base, 'hygiene-late', sbx.paths.dataDir);
  const result = await runRestore(sbx, join(sbx.base, 'state-fail'), ['-p', `snapshot=${snapshot.file}`, '-p', `kubectl=${kubectl}`, '--yes', '-o', 'plain']);
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 1, out);
  assert.match(out, /Unauthorized\) \(injected\)/);
  assert.match(out, /rolled-back/);
  assert.match(out, /set --quota-backend-bytes=\d+ in /, 'the quota was set before the failure');
  assert.match(out, /remove the ghost masterlease 10\.255\.0\.9/);
  assert.deepEqual(await readFile(join(sbx.paths.manifestsDir, 'etcd.yaml')), editedManifest, 'byte-identical after the rollback');
  // Only a wait before the retry below, which asserts and fails with what it saw.
  await waitForApiServer(sbx, 60_000).catch(() => undefined);
  await retryUntilSuccess(
    () => sbx.etcdctl(['get', LEASE, '--print-value-only']).then((r) => ({ exitCode: r.stdout.includes('Endpoints') ? 0 : 1, stdout: r.stdout, stderr: r.stderr })),
    Date.now() + 60_000,
    (last) => `the ghost lease is not back: ${last.stdout}${last.stderr}`,
  );
});

test('a restore: the dir owned by the securityContext user with 0700, the first start with a quota that holds the db, ghosts gone, workers kept, the kubelet restarted', async () => {
  const sbx = sandbox();
  const restartsBefore = JSON.parse(await readFile(sbx.paths.kubeletStateFile, 'utf8')).restarts as number;
  const result = await runRestore(sbx, join(sbx.base, 'state-ok'), ['-p', `snapshot=${snapshot.file}`, '--yes', '-o', 'plain']);
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 0, out);
  for (const path of [sbx.paths.dataDir, join(sbx.paths.dataDir, 'member'), join(sbx.paths.dataDir, 'member/snap/db')]) {
    const s = await stat(path);
    assert.deepEqual([s.uid, s.gid], [UID, GID], path);
  }
  assert.equal((await stat(sbx.paths.dataDir)).mode & 0o777, 0o700);
  const manifest = await readFile(join(sbx.paths.manifestsDir, 'etcd.yaml'), 'utf8');
  const quota = Number(/--quota-backend-bytes=(\d+)/.exec(manifest)?.[1]);
  assert.ok(quota >= snapshot.size, `quota ${quota} holds the ${snapshot.size}-byte snapshot`);
  const alarms = await sbx.etcdctl(['alarm', 'list']);
  assert.equal(alarms.exitCode, 0, alarms.stderr);
  assert.equal(alarms.stdout.trim(), '', `no NOSPACE alarm on the restored etcd: ${alarms.stdout}`);
  const keys = await readKeyspace(sbx);
  assert.equal(keys.kvs[LEASE], undefined, 'the ghost lease is gone');
  assert.equal(keys.kvs[GHOST_NODE], undefined, 'the ghost Node is gone');
  for (const worker of ['worker1', 'worker2']) assert.ok(keys.kvs[`/registry/minions/${worker}`], `${worker}'s Node is kept`);
  const restartsAfter = JSON.parse(await readFile(sbx.paths.kubeletStateFile, 'utf8')).restarts as number;
  assert.equal(restartsAfter, restartsBefore + 1, "the master's kubelet restarted once");
});

test("the workers' kubelets: each restart counted in its run/kubelet.json; a worker that cannot be reached is named and nothing restored is touched", async () => {
  const sbx = sandbox();
  const runbook = join(process.cwd(), 'runbooks', 'kubelet-restart.yaml');
  const inventory = parse(await readFile(sbx.info.inventory, 'utf8'));
  const stateOf = (name: string) => pathsOfNode(join(sbx.dir, name)).kubeletStateFile;
  const before = await Promise.all(['worker1', 'worker2'].map(async (w) => JSON.parse(await readFile(stateOf(w), 'utf8')).restarts as number));
  const ok = await runCli(['run', runbook, '-i', sbx.info.inventory, '--state-dir', join(sbx.base, 'state-workers'), '--yes', '-o', 'plain']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const after = await Promise.all(['worker1', 'worker2'].map(async (w) => JSON.parse(await readFile(stateOf(w), 'utf8')).restarts as number));
  assert.deepEqual(
    after,
    before.map((n) => n + 1),
  );

  // worker2 unreachable: an SSH host on an address of this prefix where nothing listens.
  inventory.hosts.worker2 = { connection: 'ssh', address: `${PREFIX}99`, port: 1, user: 'root', hostKeyChecking: 'off', vars: inventory.hosts.worker2.vars };
  const broken = join(sbx.base, 'inventory-unreachable.yaml');
  await writeFile(broken, stringify(inventory));
  const keysBefore = await readKeyspace(sbx);
  const down = await runCli(['run', runbook, '-i', broken, '--state-dir', join(sbx.base, 'state-unreachable'), '--yes', '-o', 'plain']);
  const out = down.stdout + down.stderr;
  assert.notEqual(down.code, 0, out);
  assert.match(out, /worker2/);
  assert.match(out, /127\.0\.171\.99|ECONNREFUSED|cannot (connect|reach)/i);
  assert.deepEqual((await readKeyspace(sbx)).kvs, keysBefore.kvs, 'the restored data is untouched');
});
