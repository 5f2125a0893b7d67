// The restore's failure paths end to end on a real sandbox: bad snapshots are refused
// before anything moves, and a failure after the swap puts the original etcd back.
// One sandbox for the file: every test here leaves it as it found it (that is what the
// tests check), so they do not disturb each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprintTree } from './support/tree.js';
import { parseEvents } from './support/cli.js';
import { writeLateFailingKubectl } from './support/late-failure.js';
import {
  PREFIX_FAILURES,
  fingerprintNode,
  readKeyspace,
  readMemberIdentity,
  readyNodes,
  runRestore,
  runningContainers,
  saveSnapshot,
  useFileSandbox,
  waitForApiServer,
  type E2eSandbox,
} from './support/sandbox.js';

const sandbox = useFileSandbox(PREFIX_FAILURES);
const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

let good: string | undefined;
async function goodSnapshot(sbx: E2eSandbox): Promise<string> {
  good ??= (await saveSnapshot(sbx, join(sbx.base, 'good.db'))).file;
  return good;
}

/** A bad snapshot must be refused by the first step: no other step starts, no change is made. */
async function assertRefusedBeforeAnyChange(file: string, problem: RegExp): Promise<void> {
  const sbx = sandbox();
  const before = await fingerprintNode(sbx);
  const keys = await readKeyspace(sbx);
  const result = await runRestore(sbx, join(sbx.base, 'state'), ['-p', `snapshot=${file}`, '--yes', '-o', 'json']);
  const out = result.stdout + result.stderr;
  // README: 1 = failed (and rolled back: here there was nothing to undo).
  assert.equal(result.code, 1, out);
  assert.match(out, problem);
  const events = parseEvents(result.stdout);
  assert.deepEqual(
    events.filter((e) => e.type === 'step.started').map((e) => e.stepId),
    ['verify-snapshot'],
    'no step after the snapshot check started',
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'change.started'),
    [],
    'nothing was changed',
  );
  const failed = events.find((e) => e.type === 'host.finished' && e.stepId === 'verify-snapshot');
  assert.equal(failed?.state, 'failed');
  assert.match(String(failed?.error), problem, 'the failure names the problem');

  // Byte-identical manifests, stash, pki and data dir; containers untouched (run/).
  assert.deepEqual(await fingerprintNode(sbx), before);
  // etcd still serves, unchanged, and every pod still runs.
  assert.deepEqual(await readKeyspace(sbx), keys);
  assert.deepEqual(await runningContainers(sbx), CONTROL_PLANE.slice().sort());
}

test('a snapshot with one byte flipped in the middle is refused before any manifest moves (SHA-256 mismatch)', async () => {
  const sbx = sandbox();
  const bytes = await readFile(await goodSnapshot(sbx));
  const middle = Math.floor(bytes.length / 2);
  assert.ok(middle < bytes.length - 32, 'the flipped byte is in the database, not in the trailer');
  bytes[middle] = bytes[middle]! ^ 0xff;
  const corrupt = join(sbx.base, 'corrupt.db');
  await writeFile(corrupt, bytes);
  await assertRefusedBeforeAnyChange(corrupt, /corrupt: its SHA-256 trailer says [0-9a-f]{64} but its \d+ data bytes hash to [0-9a-f]{64}/);
});

test('a snapshot cut off mid-copy is refused before any manifest moves (truncated)', async () => {
  const sbx = sandbox();
  const bytes = await readFile(await goodSnapshot(sbx));
  const truncated = join(sbx.base, 'truncated.db');
  await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2) + 123));
  await assertRefusedBeforeAnyChange(truncated, /truncated/);
});

test('a snapshot cut at a page boundary, sized like a snapshot with its trailer, is still refused as truncated', async () => {
  const sbx = sandbox();
  const bytes = await readFile(await goodSnapshot(sbx));
  // 512·n + 32 bytes: the size alone looks like a db followed by its SHA-256.
  const pages = Math.floor(bytes.length / 2 / 4096) * 4096;
  const truncated = join(sbx.base, 'truncated-aligned.db');
  await writeFile(truncated, bytes.subarray(0, pages + 32));
  await assertRefusedBeforeAnyChange(truncated, /truncated/);
});

test('a failure after the swap rolls back: the original data dir and manifests are back and etcd serves the pre-restore data', async () => {
  const sbx = sandbox();
  const snapshot = await goodSnapshot(sbx);
  // Written AFTER the snapshot: a restore would lose them; a correct rollback keeps them.
  for (const args of [
    ['put', '/registry/configmaps/default/written-after-snapshot', '{"kind":"ConfigMap"}'],
    ['put', '/drbook-e2e/written-after-snapshot', 'keep me'],
  ]) {
    const r = await sbx.etcdctl(args);
    assert.equal(r.exitCode, 0, r.stderr);
  }
  const keysBefore = await readKeyspace(sbx);
  const identityBefore = await readMemberIdentity(sbx);
  const kubernetesBefore = await fingerprintTree(sbx.paths.kubernetesDir);
  const dataDirBefore = await stat(sbx.paths.dataDir);
  const varLibBefore = (await readdir(join(sbx.node.root, 'var', 'lib'))).sort();

  // verify-nodes fails (its kubectl refused, see late-failure.ts): after the swap and
  // after etcd started on the restored data.
  const stateDir = join(sbx.base, 'state-rollback');
  const kubectl = await writeLateFailingKubectl(sbx.base, 'late', sbx.paths.dataDir);
  const result = await runRestore(sbx, stateDir, ['-p', `snapshot=${snapshot}`, '-p', `kubectl=${kubectl}`, '--yes', '-o', 'json']);
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 1, out);
  const events = parseEvents(result.stdout);
  const stepState = (id: string) => events.find((e) => e.type === 'step.finished' && e.stepId === id)?.state;
  for (const id of ['restore', 'swap-data-dir', 'start-control-plane', 'verify-etcd']) assert.equal(stepState(id), 'done', `${id} ran before the failure`);
  assert.equal(stepState('verify-nodes'), 'failed');
  assert.match(String(events.find((e) => e.type === 'host.finished' && e.stepId === 'verify-nodes')?.error), /Unauthorized\) \(injected\)/);
  const undone = events.filter((e) => e.type === 'undo.finished');
  assert.ok(undone.length > 0 && undone.every((e) => e.ok), 'every undo succeeded');
  assert.deepEqual([...new Set(undone.map((e) => e.stepId))], ['start-control-plane', 'swap-data-dir', 'restore', 'stop-control-plane'], 'undone in reverse order');
  const finished = events.find((e) => e.type === 'run.finished')!;
  assert.equal(finished.state, 'rolled-back');
  const runId: string = finished.runId;

  // The very directory that was live before is back in place, with its mode; nothing left beside it.
  const dataDirAfter = await stat(sbx.paths.dataDir);
  assert.equal(dataDirAfter.ino, dataDirBefore.ino, 'the original data dir is back (not a copy)');
  assert.equal(dataDirAfter.mode & 0o7777, dataDirBefore.mode & 0o7777);
  assert.deepEqual((await readdir(join(sbx.node.root, 'var', 'lib'))).sort(), varLibBefore, `no ${runId} -restore-/-old- dir left`);
  // Manifests (and stash, pki, admin.conf) exactly as before.
  assert.deepEqual(await fingerprintTree(sbx.paths.kubernetesDir), kubernetesBefore);

  // The old etcd runs again: same cluster and member, every key including the later writes.
  assert.deepEqual(await runningContainers(sbx), CONTROL_PLANE.slice().sort());
  assert.deepEqual(await readMemberIdentity(sbx), identityBefore);
  assert.deepEqual(await readKeyspace(sbx), keysBefore);
  // And the API server answers from it.
  await waitForApiServer(sbx);
  assert.deepEqual(
    (await readyNodes(sbx)).map((n) => n.name),
    sbx.info.seeded!.nodes.slice().sort(),
  );

  const journal = await readFile(join(stateDir, 'runs', runId, 'journal.jsonl'), 'utf8');
  assert.match(journal, /rolled-back/);
});

test('the good snapshot itself passes the same first step (the refusals above are about the damage)', async () => {
  const sbx = sandbox();
  const result = await runRestore(sbx, join(sbx.base, 'state-plan'), ['-p', `snapshot=${await goodSnapshot(sbx)}`, '-o', 'plain'], ['plan']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /SHA-256 trailer matches/);
});
