import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';
import { seedClusterState, saveSandboxSnapshot, SandboxError, SandboxInputError } from '@drbook/sandbox';

// A sandbox folder as `sandbox up` lays it out, around a test etcd on the node's own
// loopback IP and kubeadm's port (an IP no other test file uses).
const NODE_IP = '127.0.77.11';

async function makeSandboxAround(etcd: TestEtcd): Promise<void> {
  await writeFile(join(etcd.dir, 'sandbox.json'), JSON.stringify({ nodes: [{ name: 'node1', ip: NODE_IP, root: etcd.root }], pids: [], createdAt: new Date().toISOString() }));
}

test('saveSandboxSnapshot takes a hashed snapshot with etcdctl whose status reports the seeded keys', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-snap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const etcd = await startTestEtcd({ ip: NODE_IP, clientPort: 2379, tls: true });
  t.after(() => etcd.stop());
  await makeSandboxAround(etcd);
  const access = { endpoints: [etcd.endpoint], caFile: etcd.caFile, certFile: etcd.certFile, keyFile: etcd.keyFile };

  const seeded = await seedClusterState({ ...access, nodes: ['node1'] });
  const file = join(dir, 'backups/seeded.db');
  const info = await saveSandboxSnapshot({ dir: etcd.dir, node: 'node1', file });

  assert.equal(info.file, file);
  assert.equal(info.size % 512, 32, 'a snapshot from a live member ends with a SHA-256 trailer');
  assert.equal(info.size, (await stat(file)).size);
  const bytes = await readFile(file);
  assert.equal(info.sha256, createHash('sha256').update(bytes).digest('hex'));
  const trailer = bytes.subarray(bytes.length - 32);
  assert.deepEqual(
    trailer,
    createHash('sha256')
      .update(bytes.subarray(0, bytes.length - 32))
      .digest(),
  );
  assert.equal(info.revision, seeded.revision);
  assert.ok(info.totalKeys >= seeded.written && info.totalKeys < seeded.written + 20, `totalKeys ${info.totalKeys} for ${seeded.written} seeded`);

  // totalKey counts every bbolt entry, one per revision of a key plus a few of etcd's
  // own: seeding again adds exactly one revision per seeded object.
  const reseeded = await seedClusterState({ ...access, nodes: ['node1'] });
  const again = await saveSandboxSnapshot({ dir: etcd.dir, file: join(dir, 'backups/reseeded.db') });
  assert.equal(again.revision, reseeded.revision);
  assert.equal(again.totalKeys - info.totalKeys, reseeded.written);
  assert.notEqual(again.sha256, info.sha256);
  assert.deepEqual((await readdir(join(dir, 'backups'))).sort(), ['reseeded.db', 'seeded.db'], 'no .part file is left');
});

test('saveSandboxSnapshot names what is missing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-snap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(saveSandboxSnapshot({ dir, file: join(dir, 's.db') }), (error: unknown) => error instanceof SandboxInputError && /no sandbox at .*sandbox\.json/.test(error.message));
  await writeFile(join(dir, 'sandbox.json'), JSON.stringify({ nodes: [{ name: 'node1', ip: '127.0.78.11' }] }));
  await assert.rejects(saveSandboxSnapshot({ dir, node: 'node9', file: join(dir, 's.db') }), /has no node node9 \(it has node1\)/);
  // Nothing listens there: etcdctl fails and no partial file is left behind.
  await assert.rejects(
    saveSandboxSnapshot({ dir, file: join(dir, 's.db'), timeoutMs: 30_000 }),
    (error: unknown) => error instanceof SandboxError && error.host === 'node1' && /snapshot save from https:\/\/127\.0\.78\.11:2379 failed/.test(error.message),
  );
  assert.deepEqual((await readdir(dir)).sort(), ['sandbox.json']);
});
