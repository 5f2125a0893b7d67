import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { snapshotCounts } from '../../../src/actions/etcd/snapshot-counts.js';
import { withEtcdClient } from '../../../src/etcd/client.js';
import { FakeTransport, makeContext } from '../../etcd/helpers/context.js';
import { cleanups, etcdctl } from '../../etcd/helpers/etcd-server.js';

/** A host holding `data` at /snap.db that answers `sha256sum` like coreutils and counts its reads of the file. */
function hostWith(data: Buffer) {
  const sha256 = createHash('sha256').update(data).digest('hex');
  const transport = new FakeTransport(new Map([['/snap.db', data]]), (shell) => (shell.startsWith('sha256sum') ? { exitCode: 0, stdout: `${sha256}  /snap.db\n` } : { exitCode: 127 }));
  let reads = 0;
  const readFile = transport.readFile.bind(transport);
  transport.readFile = async (path: string) => (reads++, readFile(path));
  return { ctx: makeContext({ transport }), reads: () => reads };
}

test('the same snapshot on several masters is fetched and parsed once; another file is read again', async (t) => {
  const c = cleanups(t);
  const dir = await c.tempDir();
  const etcd = await c.etcd({ dataDir: join(dir, 'data') });
  await withEtcdClient({ endpoints: [etcd.endpoint] }, async (client) => {
    await client.put('/registry/pods/default/web-1').value('{}');
    await client.put('/registry/namespaces/default').value('{}');
  });
  await etcdctl(etcd, 'snapshot', 'save', join(dir, 'a.db'));
  await withEtcdClient({ endpoints: [etcd.endpoint] }, async (client) => void (await client.put('/registry/pods/default/web-2').value('{}')));
  await etcdctl(etcd, 'snapshot', 'save', join(dir, 'b.db'));
  const [a, b] = await Promise.all([readFile(join(dir, 'a.db')), readFile(join(dir, 'b.db'))]);

  const masters = [hostWith(a), hostWith(a), hostWith(a)];
  const results = await Promise.all(masters.map((m) => snapshotCounts(m.ctx, '/snap.db', '/registry')));
  assert.equal(
    masters.reduce((sum, m) => sum + m.reads(), 0),
    1,
    'one read for three masters',
  );
  for (const result of results) assert.deepEqual(result.counts.resources, { namespaces: 1, pods: 1 });

  const other = hostWith(b);
  assert.deepEqual((await snapshotCounts(other.ctx, '/snap.db', '/registry')).counts.resources, { namespaces: 1, pods: 2 });
  assert.equal(other.reads(), 1, 'a different file is not taken for the cached one');
});
