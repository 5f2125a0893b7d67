// The single-master restore end to end: the real CLI runs runbooks/etcd-restore.yaml
// against a real sandbox (etcd 3.4.23 with TLS, etcdctl, openssl certs, the real kubectl).
// One sandbox for the file: the dry-run changes nothing, and the restore leaves a
// healthy sandbox, so the tests run in this order without disturbing each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteArg } from '@drbook/system';
import { parseEvents } from './support/cli.js';
import { PREFIX_RESTORE, fingerprintNode, readKeyspace, readyNodes, runRestore, runningContainers, saveSnapshot, useFileSandbox, waitForApiServer } from './support/sandbox.js';

const sandbox = useFileSandbox(PREFIX_RESTORE);

const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

test('run --dry-run and plan of the restore change nothing and show every command, with the restore tool and flags detected', async () => {
  const sbx = sandbox();
  const snapshot = await saveSnapshot(sbx, join(sbx.base, 'plan-snapshot.db'));
  const stateDir = join(sbx.base, 'state-plan');
  const before = await fingerprintNode(sbx);
  const keysBefore = await readKeyspace(sbx);

  for (const invocation of [['run', '--dry-run'], ['plan']]) {
    const result = await runRestore(sbx, stateDir, ['-p', `snapshot=${snapshot.file}`, '-o', 'plain'], invocation);
    const out = result.stdout + result.stderr;
    assert.equal(result.code, 0, `${invocation.join(' ')}: ${out}`);
    const runId = /PLAN \(dry-run[^)]*\) etcd-restore — run (\S+) on node1/.exec(out)?.[1];
    assert.ok(runId, out);
    const p = sbx.paths;
    const stash = `${p.stashDir}/${runId}`;
    const peer = `https://${sbx.node.ip}:2380`;
    const expected = [
      `$ mkdir -p -m 700 -- ${stash}`,
      ...CONTROL_PLANE.map((c) => `$ mv -- ${p.manifestsDir}/${c}.yaml ${stash}/${c}.yaml`),
      `wait until crictl shows no container of kube-apiserver, kube-controller-manager, kube-scheduler, etcd`,
      // The restore: etcdctl (etcd 3.4 has no etcdutl), this member's name and peer URL
      // from its manifest, a fresh token, into a new directory renamed when complete.
      `snapshot restore ${snapshot.file} --name node1 --initial-cluster node1=${peer} --initial-advertise-peer-urls ${peer} --initial-cluster-token drbook-${runId} --data-dir ${p.dataDir}-restore-${runId}.partial-${runId} && mv -- ${p.dataDir}-restore-${runId}.partial-${runId} ${p.dataDir}-restore-${runId}`,
      `$ mv -- ${p.dataDir} ${p.dataDir}-old-${runId}`,
      `$ mv -- ${p.dataDir}-restore-${runId} ${p.dataDir}`,
      `&& chmod 700 -- ${p.dataDir}`,
      ...CONTROL_PLANE.map((c) => `$ mv -- ${stash}/${c}.yaml ${p.manifestsDir}/${c}.yaml`),
      `check etcd at ${sbx.node.etcdEndpoint}: every endpoint healthy`,
      `kubectl --kubeconfig ${p.kubeconfig} get nodes`,
      // The sandbox's `systemctl restart kubelet` (its kubeletRestart host var).
      `$ ${quoteArg(p.kubeletRestart)}`,
    ];
    for (const line of expected) assert.ok(out.includes(line), `${invocation.join(' ')} should show ${JSON.stringify(line)}:\n${out}`);
    assert.match(out, /restore tool: etcdctl 3\.4\.23 at \S*etcdctl .*--bump-revision no, --mark-compacted no/);
    assert.match(out, /\$ ETCDCTL_API=3 \S*etcdctl snapshot restore /);
    assert.match(out, /etcdctl 3\.4\.23 has no --bump-revision\/--mark-compacted/, 'the plan says the tool lacks the flags');
    assert.match(out, /snapshot \S+: revision \d+, \d+ keys/, 'the snapshot check reports revision and keys');

    assert.deepEqual(await fingerprintNode(sbx), before, `${invocation.join(' ')} changed the sandbox node`);
    assert.deepEqual(await readKeyspace(sbx), keysBefore, 'etcd holds exactly what it held');
    assert.deepEqual(await runningContainers(sbx), CONTROL_PLANE.slice().sort());
    assert.equal(existsSync(stateDir), false, 'a dry-run writes no journal and takes no lock');
  }
});

test("a full restore brings back exactly the snapshot's keys, every seeded node Ready, and keeps the old data dir", async () => {
  const sbx = sandbox();
  const snapshot = await saveSnapshot(sbx, join(sbx.base, 'snapshot.db'));
  const atSnapshot = await readKeyspace(sbx);
  // Nothing wrote between the snapshot and this read: it is the snapshot's content.
  assert.equal(atSnapshot.revision, snapshot.revision, 'the reference read is at the snapshot revision');
  const seededNodes = sbx.info.seeded!.nodes.slice().sort();
  assert.ok(seededNodes.length >= 2, 'the sandbox seeds several nodes');

  // Life goes on after the backup: new keys, a deleted node, a changed namespace.
  const demoNamespace = atSnapshot.kvs['/registry/namespaces/demo'];
  assert.ok(demoNamespace, 'the seeded state has a demo namespace');
  const removedNode = `/registry/minions/${seededNodes.at(-1)}`;
  assert.ok(atSnapshot.kvs[removedNode]);
  for (const args of [
    ['put', '/registry/configmaps/default/written-after-snapshot', '{"kind":"ConfigMap"}'],
    ['put', '/drbook-e2e/outside-registry', 'after'],
    // The seeded value is protobuf (binary, not for etcdctl's argv): the change is written as JSON, which an API server reads too.
    ['put', '/registry/namespaces/demo', JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'demo', labels: { changed: 'after-the-snapshot' } } })],
    ['del', removedNode],
  ]) {
    const r = await sbx.etcdctl(args);
    assert.equal(r.exitCode, 0, r.stderr);
  }
  const beforeRestore = await readKeyspace(sbx);
  assert.notDeepEqual(beforeRestore.kvs, atSnapshot.kvs);
  assert.equal(beforeRestore.kvs[removedNode], undefined);
  const dataDirBefore = await stat(sbx.paths.dataDir);

  const stateDir = join(sbx.base, 'state');
  const result = await runRestore(sbx, stateDir, ['-p', `snapshot=${snapshot.file}`, '--yes', '-o', 'json']);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const events = parseEvents(result.stdout);
  const finished = events.find((e) => e.type === 'run.finished')!;
  assert.equal(finished.state, 'done');
  const runId: string = finished.runId;

  // Exactly the snapshot's keys, values and revisions; the later writes are gone.
  const restored = await readKeyspace(sbx);
  assert.deepEqual(restored.kvs, atSnapshot.kvs);
  assert.equal(restored.revision, snapshot.revision);
  assert.equal(restored.kvs['/registry/configmaps/default/written-after-snapshot'], undefined);
  assert.equal(restored.kvs['/drbook-e2e/outside-registry'], undefined);

  // The real kubectl through the API server: every seeded node, Ready (the deleted one is back).
  await waitForApiServer(sbx);
  assert.deepEqual(
    await readyNodes(sbx),
    seededNodes.map((name) => ({ name, ready: 'True' })),
  );
  assert.deepEqual(await runningContainers(sbx), CONTROL_PLANE.slice().sort());

  // The old data dir is kept, the very same directory, still 0700; the new one is 0700 too.
  const old = `${sbx.paths.dataDir}-old-${runId}`;
  const oldStat = await stat(old);
  assert.equal(oldStat.ino, dataDirBefore.ino, `${old} is the data dir that was live before the restore`);
  assert.equal(oldStat.mode & 0o7777, 0o700);
  assert.ok(existsSync(join(old, 'member', 'snap', 'db')));
  const current = await stat(sbx.paths.dataDir);
  assert.notEqual(current.ino, dataDirBefore.ino);
  assert.equal(current.mode & 0o7777, 0o700);
  const leftovers = (await readdir(join(sbx.node.root, 'var', 'lib'))).filter((name) => name.includes('-restore-'));
  assert.deepEqual(leftovers, [], 'no restore dir left behind');
  assert.deepEqual(
    await readdir(sbx.paths.manifestsDir).then((names) => names.sort()),
    CONTROL_PLANE.map((c) => `${c}.yaml`),
  );

  // The run's journal, ending in done.
  const journal = await readFile(join(stateDir, 'runs', runId, 'journal.jsonl'), 'utf8');
  assert.match(journal, /"t":"end".*"state":"done"/);
  assert.match(journal, /swap-data-dir/);
});
