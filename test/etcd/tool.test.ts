import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseEtcdTool, detectEtcdTool, parseRestoreFlags, parseToolVersion, snapshotStatus, type EtcdTool } from '../../src/etcd/tool.js';
import { FakeTransport, makeContext } from './helpers/context.js';

const HELP_34 = `OPTIONS:
      --data-dir=""						Path to the data directory
      --skip-hash-check[=false]					Ignore snapshot integrity hash value
GLOBAL OPTIONS:
      --cacert=""				verify certificates`;
const HELP_35_NEW = `Flags:
      --bump-revision uint                   How much to increase the latest revision after restore
      --mark-compacted                       Mark the latest revision after restore as the point of scheduled compaction
      --skip-hash-check                      Ignore snapshot integrity hash value`;

/** A host with the given tools installed, answering like the real ones. */
function hostWith(tools: Partial<Record<'etcdctl' | 'etcdutl', { version: string; help: string }>>) {
  return new FakeTransport(new Map(), (shell) => {
    const found = /^command -v (\S+)$/.exec(shell);
    if (found) {
      const tool = tools[found[1] as 'etcdctl' | 'etcdutl'];
      return tool ? { stdout: `/usr/local/bin/${found[1]}\n` } : { exitCode: 1 };
    }
    for (const name of ['etcdutl', 'etcdctl'] as const) {
      if (!shell.includes(`/usr/local/bin/${name}`)) continue;
      if (shell.endsWith(' version')) return { stdout: `${name} version: ${tools[name]!.version}\nAPI version: 3.x\n` };
      if (shell.endsWith('snapshot restore --help')) return { stdout: tools[name]!.help };
    }
    return { exitCode: 127, stderr: 'unexpected command' };
  });
}

test('3.4: etcdctl with ETCDCTL_API=3, skip-hash-check only', async () => {
  const transport = hostWith({ etcdctl: { version: '3.4.23', help: HELP_34 } });
  const detection = await detectEtcdTool(makeContext({ transport }));
  assert.equal(detection.tool?.name, 'etcdctl');
  assert.equal(detection.tool?.version, '3.4.23');
  assert.deepEqual(detection.tool?.flags, { bumpRevision: false, markCompacted: false, skipHashCheck: true });
  assert.ok(
    transport.commands.some((c) => c === 'ETCDCTL_API=3 /usr/local/bin/etcdctl snapshot restore --help'),
    transport.commands.join('\n'),
  );
});

test('3.5: etcdutl preferred over etcdctl, with the bump flags it advertises', async () => {
  const transport = hostWith({ etcdctl: { version: '3.5.12', help: HELP_34 }, etcdutl: { version: '3.5.12', help: HELP_35_NEW } });
  const detection = await detectEtcdTool(makeContext({ transport }));
  assert.equal(detection.tool?.name, 'etcdutl');
  assert.deepEqual(detection.tool?.flags, { bumpRevision: true, markCompacted: true, skipHashCheck: true });
  assert.equal(detection.found.length, 2);
});

test('3.6 etcdctl alone cannot restore; no tool at all is named as such', () => {
  const ctl36: EtcdTool = { name: 'etcdctl', path: '/bin/etcdctl', version: '3.6.0', flags: parseRestoreFlags('') };
  const none = chooseEtcdTool([ctl36]);
  assert.equal(none.tool, null);
  assert.match(none.problem!, /etcdctl 3\.6\.0 has no snapshot restore\/status \(removed in 3\.6\) and etcdutl is not installed/);
  assert.match(chooseEtcdTool([]).problem!, /neither etcdutl nor etcdctl is installed/);
});

test('version parsing', () => {
  assert.equal(parseToolVersion('etcdctl version: 3.4.23\nAPI version: 3.4\n'), '3.4.23');
  assert.equal(parseToolVersion('etcdutl version: 3.6.0-rc.1\n'), '3.6.0-rc.1');
  assert.equal(parseToolVersion('garbage'), '');
});

test('the real etcdctl of this machine is detected with its real flags', async () => {
  const detection = await detectEtcdTool(makeContext());
  assert.ok(detection.tool, detection.problem);
  assert.match(detection.tool.version, /^3\.\d+\.\d+/);
  assert.equal(detection.tool.flags.skipHashCheck, true);
  // etcd 3.4.23 (Debian bookworm) predates --bump-revision (3.4.27).
  if (detection.tool.version === '3.4.23') assert.equal(detection.tool.flags.bumpRevision, false);
});

test('snapshotStatus reports the tool error for a file that is not a db', async () => {
  const ctx = makeContext();
  const detection = await detectEtcdTool(ctx);
  await assert.rejects(snapshotStatus(ctx, detection.tool!, '/etc/hostname'), /snapshot status \/etc\/hostname failed: .*(invalid|not|error)/i);
});
