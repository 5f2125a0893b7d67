// etcd.restore's plan on hosts that this machine is not: etcd 3.5 with etcdutl and the
// bump flags, a user that does not exist, a full disk. A fake transport answers the probes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/core/errors.js';
import { restoreAction } from '../../../src/actions/etcd/restore.js';
import { FakeTransport, errorsOf, findingText, makeContext, planAction } from '../../etcd/helpers/context.js';
import { KUBEADM_ETCD_YAML } from '../../etcd/helpers/manifests.js';
import { fakeBoltDb, fakeSnapshot } from '../../etcd/helpers/fake-bolt.js';

const SNAPSHOT = '/backup/snap.db';
const HELP_35 = '      --bump-revision uint\n      --mark-compacted\n      --skip-hash-check\n';

function host(options: { etcdutl?: boolean; freeKiB?: number; users?: string[]; extraFiles?: Array<[string, Buffer | 'dir']> } = {}) {
  const files = new Map<string, Buffer | 'dir'>([
    [SNAPSHOT, fakeSnapshot(4)],
    ['/etc/kubernetes/manifests/etcd.yaml', Buffer.from(KUBEADM_ETCD_YAML)],
    ['/var/lib', 'dir'],
    ...(options.extraFiles ?? []),
  ]);
  return new FakeTransport(files, (shell) => {
    if (shell === 'command -v etcdutl') return options.etcdutl ? { stdout: '/usr/local/bin/etcdutl\n' } : { exitCode: 1 };
    if (shell === 'command -v etcdctl') return { stdout: '/usr/local/bin/etcdctl\n' };
    if (shell.endsWith('etcdutl version')) return { stdout: 'etcdutl version: 3.5.12\nAPI version: 3.5\n' };
    if (shell.endsWith('etcdctl version')) return { stdout: 'etcdctl version: 3.5.12\nAPI version: 3.5\n' };
    if (shell.endsWith('snapshot restore --help')) return { stdout: shell.includes('etcdutl') ? HELP_35 : '      --skip-hash-check\n' };
    const id = /^id -u (\S+)$/.exec(shell);
    if (id) return (options.users ?? []).includes(id[1]!) ? { stdout: '997\n' } : { exitCode: 1, stderr: 'no such user' };
    if (shell.includes('df -Pk')) return { stdout: `/dev/sda1 100000000 1000 ${options.freeKiB ?? 50_000_000} 1% /\n` };
    return { exitCode: 127, stderr: `unexpected: ${shell}` };
  });
}

test('etcd 3.5 with etcdutl: etcdutl restores, with --bump-revision and --mark-compacted, and chowns to the owner', async () => {
  const ctx = makeContext({ transport: host({ etcdutl: true, users: ['etcd'] }), runId: 'r7' });
  const plan = await planAction(restoreAction, ctx, { snapshot: SNAPSHOT, dataDir: '/var/lib/etcd-restore', owner: 'etcd:etcd' });
  assert.deepEqual(errorsOf(plan), [], findingText(plan));
  assert.match(findingText(plan), /restore tool: etcdutl 3\.5\.12 at \/usr\/local\/bin\/etcdutl; flags: --skip-hash-check yes, --bump-revision yes, --mark-compacted yes/);
  assert.equal(
    plan.changes[0]!.command!.toDisplay(),
    '/usr/local/bin/etcdutl snapshot restore /backup/snap.db --name m1 --initial-cluster m1=https://10.0.0.11:2380 ' +
      '--initial-advertise-peer-urls https://10.0.0.11:2380 --initial-cluster-token drbook-r7 --data-dir /var/lib/etcd-restore.partial-r7 ' +
      '--bump-revision 1000000000 --mark-compacted && chown -R etcd:etcd -- /var/lib/etcd-restore.partial-r7 ' +
      '&& mv -- /var/lib/etcd-restore.partial-r7 /var/lib/etcd-restore',
  );
  const undo = plan.changes[0]!.undo!;
  assert.ok('command' in undo);
  assert.equal(undo.command.toDisplay(), 'rm -rf -- /var/lib/etcd-restore /var/lib/etcd-restore.partial-r7');
});

test('bumpRevision: yes is an error when the tool lacks the flags; no disables them', async () => {
  const ctx = makeContext({ transport: host() });
  const yes = await planAction(restoreAction, ctx, { snapshot: SNAPSHOT, dataDir: '/var/lib/etcd-restore', bumpRevision: 'yes' });
  assert.match(errorsOf(yes).join('\n'), /etcdctl 3\.5\.12 has no --bump-revision\/--mark-compacted/);
  const no = await planAction(restoreAction, makeContext({ transport: host({ etcdutl: true }) }), { snapshot: SNAPSHOT, dataDir: '/var/lib/etcd-restore', bumpRevision: 'no' });
  assert.doesNotMatch(no.changes[0]!.command!.toDisplay(), /bump-revision/);
  assert.match(findingText(no), /revision bump disabled/);
});

test('a missing owner, a full disk and a raw snapshot without skipHashCheck are errors', async () => {
  const ctx = makeContext({ transport: host({ freeKiB: 4, extraFiles: [['/backup/raw.db', fakeBoltDb(4)]] }) });
  const plan = await planAction(restoreAction, ctx, { snapshot: '/backup/raw.db', dataDir: '/var/lib/etcd-restore', owner: 'etcd' });
  const errors = errorsOf(plan).join('\n');
  assert.match(errors, /owner etcd: user etcd does not exist on local/);
  assert.match(errors, /only 0 MiB free under \/var\/lib; the restore needs about 64 MiB/);
  assert.match(errors, /raw db copy without integrity hash \(needs skipHashCheck\)/);
  const skipped = await planAction(restoreAction, makeContext({ transport: host({ extraFiles: [['/backup/raw.db', fakeBoltDb(4)]] }) }), {
    snapshot: '/backup/raw.db',
    dataDir: '/var/lib/etcd-restore',
    skipHashCheck: 'true',
  });
  assert.deepEqual(errorsOf(skipped), []);
  assert.match(skipped.changes[0]!.command!.toDisplay(), / --skip-hash-check && mv -- /);
});

test('a relative data dir or / is refused as input; values given override the manifest', async () => {
  const ctx = makeContext({ transport: host() });
  await assert.rejects(planAction(restoreAction, ctx, { snapshot: SNAPSHOT, dataDir: 'etcd-new' }), InputError);
  await assert.rejects(planAction(restoreAction, ctx, { snapshot: SNAPSHOT, dataDir: '/' }), InputError);
  await assert.rejects(planAction(restoreAction, ctx, { snapshot: SNAPSHOT, dataDir: '/x', bumpRevision: 'maybe' }), /Invalid option|expected one of/);
  const plan = await planAction(restoreAction, ctx, { snapshot: SNAPSHOT, dataDir: '/var/lib/etcd-restore', initialClusterToken: 'shared', name: 'm1' });
  assert.match(findingText(plan), /initialClusterToken = shared \(given\)/);
  assert.match(findingText(plan), /name = m1 \(given\)/);
  assert.match(findingText(plan), /initialAdvertisePeerUrls = https:\/\/10\.0\.0\.11:2380 \(manifest/);
});

test('a multi-member cluster with a loopback peer URL is flagged', async () => {
  const ctx = makeContext({ transport: host() });
  const plan = await planAction(restoreAction, ctx, {
    snapshot: SNAPSHOT,
    dataDir: '/var/lib/etcd-restore',
    name: 'a',
    initialAdvertisePeerUrls: 'http://localhost:2380',
    initialCluster: 'a=http://localhost:2380,b=https://10.0.0.12:2380',
  });
  assert.match(findingText(plan), /warn: peer URL http:\/\/localhost:2380 is a loopback address in a 2-member cluster/);
  const wrong = await planAction(restoreAction, ctx, { snapshot: SNAPSHOT, dataDir: '/var/lib/etcd-restore', initialCluster: 'm1=https://10.0.0.99:2380' });
  assert.match(errorsOf(wrong).join('\n'), /initialCluster lists m1 with https:\/\/10\.0\.0\.99:2380 but its peer URL is https:\/\/10\.0\.0\.11:2380/);
});

test("a data dir named with this run's id is this run's own: complete → already restored (nothing to do), incomplete → redone; anyone else's non-empty dir is refused", async () => {
  const dataDir = '/var/lib/etcd-restore-r9';
  const complete = makeContext({
    runId: 'r9',
    transport: host({
      extraFiles: [
        [dataDir, 'dir'],
        [`${dataDir}/member`, 'dir'],
        [`${dataDir}/member/snap`, 'dir'],
        [`${dataDir}/member/snap/db`, Buffer.from('db')],
      ],
    }),
  });
  const done = await planAction(restoreAction, complete, { snapshot: SNAPSHOT, dataDir });
  assert.deepEqual(errorsOf(done), []);
  assert.deepEqual(done.changes, []);
  assert.match(findingText(done), /already restored by this run/);

  const partial = makeContext({
    runId: 'r9',
    transport: host({
      extraFiles: [
        [dataDir, 'dir'],
        [`${dataDir}/member`, 'dir'],
      ],
    }),
  });
  const redo = await planAction(restoreAction, partial, { snapshot: SNAPSHOT, dataDir });
  assert.deepEqual(errorsOf(redo), []);
  assert.match(findingText(redo), /an incomplete restore of this run .*: it is removed and the restore done again/);
  assert.match(redo.changes[0]!.command!.toDisplay(), /^rm -rf -- \/var\/lib\/etcd-restore-r9 && .*etcdctl snapshot restore /);

  const foreign = makeContext({
    runId: 'r10',
    transport: host({
      extraFiles: [
        [dataDir, 'dir'],
        [`${dataDir}/member`, 'dir'],
      ],
    }),
  });
  assert.match(errorsOf(await planAction(restoreAction, foreign, { snapshot: SNAPSHOT, dataDir })).join('\n'), /refusing to restore into \/var\/lib\/etcd-restore-r9: it is not empty/);
});

test('the restore carries its check: the staging dir or a restored member/snap/db is applied; neither is reverted', async () => {
  const plan = await planAction(restoreAction, makeContext({ transport: host(), runId: 'r7' }), { snapshot: SNAPSHOT, dataDir: '/var/lib/etcd-restore' });
  const change = plan.changes[0]!;
  assert.match(change.check!.toDisplay(), /\/var\/lib\/etcd-restore\.partial-r7/);
  assert.match(change.check!.toDisplay(), /\/var\/lib\/etcd-restore\/member\/snap\/db/);
  assert.deepEqual(change.subjects, ['/var/lib/etcd-restore', '/var/lib/etcd-restore.partial-r7']);
});
