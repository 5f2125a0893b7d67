import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalTransport } from '../../src/transport/local.js';
import { checkSnapshotFile, classifySnapshotSize } from '../../src/etcd/snapshot-file.js';
import { cleanups } from './helpers/etcd-server.js';
import { remoteLooking } from './helpers/context.js';
import { fakeSnapshot } from './helpers/fake-bolt.js';

const hashedSnapshot = fakeSnapshot;

test('classifySnapshotSize: hashed, raw, truncated', () => {
  assert.equal(classifySnapshotSize(4096 + 32), 'hashed');
  assert.equal(classifySnapshotSize(8192), 'raw');
  assert.equal(classifySnapshotSize(4096 + 31), 'truncated');
  assert.equal(classifySnapshotSize(0), 'truncated');
});

for (const [label, transport] of [
  ['node crypto (local)', new LocalTransport()],
  ['coreutils through the transport (remote)', remoteLooking()],
] as const) {
  test(`checkSnapshotFile with ${label}: good, flipped byte, truncated, raw, missing`, async (t) => {
    const dir = await cleanups(t).tempDir();
    const good = hashedSnapshot(20); // 80 KiB: several read chunks
    const goodFile = join(dir, 'good.db');
    await writeFile(goodFile, good);
    const ok = await checkSnapshotFile(transport, goodFile);
    assert.equal(ok.status, 'ok', ok.message);
    assert.equal(ok.fileSha256, createHash('sha256').update(good).digest('hex'));
    assert.equal(ok.trailerSha256, ok.dataSha256);

    const flipped = Buffer.from(good);
    flipped[12345] = flipped[12345]! ^ 0x01;
    await writeFile(join(dir, 'flipped.db'), flipped);
    const bad = await checkSnapshotFile(transport, join(dir, 'flipped.db'));
    assert.equal(bad.status, 'hash-mismatch');
    assert.match(bad.message, /flipped\.db is corrupt: its SHA-256 trailer says [0-9a-f]{64} but its 81920 data bytes hash to [0-9a-f]{64}/);

    await writeFile(join(dir, 'cut.db'), good.subarray(0, 50_000));
    const cut = await checkSnapshotFile(transport, join(dir, 'cut.db'));
    assert.equal(cut.status, 'truncated');
    assert.match(cut.message, /cut\.db is truncated or corrupt: its size \(50000 bytes\)/);

    await writeFile(join(dir, 'raw.db'), good.subarray(0, good.length - 32));
    const raw = await checkSnapshotFile(transport, join(dir, 'raw.db'));
    assert.equal(raw.status, 'raw');
    assert.match(raw.message, /raw db copy without integrity hash \(needs skipHashCheck\)/);

    const missing = await checkSnapshotFile(transport, join(dir, 'nope.db'));
    assert.equal(missing.status, 'missing');
    assert.match(missing.message, /nope\.db does not exist on/);

    // Cut at a page boundary: the size rule cannot see it, the db's own page count can.
    await writeFile(join(dir, 'cut-at-page.db'), good.subarray(0, 12 * 4096));
    const cutAtPage = await checkSnapshotFile(transport, join(dir, 'cut-at-page.db'));
    assert.equal(cutAtPage.status, 'truncated');
    assert.match(cutAtPage.message, /cut-at-page\.db is truncated: its database spans 20 pages of 4096 bytes \(81920 bytes\) but the file holds only 49152/);
    await writeFile(join(dir, 'cut-hashed.db'), Buffer.concat([good.subarray(0, 12 * 4096), randomBytes(32)]));
    assert.equal((await checkSnapshotFile(transport, join(dir, 'cut-hashed.db'))).status, 'truncated');

    await writeFile(join(dir, 'noise.db'), randomBytes(8192 + 32));
    const noise = await checkSnapshotFile(transport, join(dir, 'noise.db'));
    assert.equal(noise.status, 'not-a-db');
    assert.match(noise.message, /noise\.db is not an etcd database: no valid bbolt meta page/);

    await mkdir(join(dir, 'adir'));
    assert.equal((await checkSnapshotFile(transport, join(dir, 'adir'))).status, 'not-a-file');
  });
}

test('checkSnapshotFile without hashing only classifies, and an unreadable file is named', async (t) => {
  const dir = await cleanups(t).tempDir();
  const file = join(dir, 's.db');
  await writeFile(file, hashedSnapshot(4));
  const quick = await checkSnapshotFile(new LocalTransport(), file, { hash: false });
  assert.equal(quick.status, 'unchecked');
  assert.equal(quick.fileSha256, undefined);
  if (process.getuid?.() !== 0) {
    await chmod(file, 0o000);
    const denied = await checkSnapshotFile(new LocalTransport(), file);
    assert.equal(denied.status, 'unreadable');
    assert.match(denied.message, /cannot be read/);
  }
});
