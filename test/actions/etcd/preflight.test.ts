// etcd.preflight and etcd.restore's `cluster: hosts` across three fake masters: each a
// fake transport with its own kubeadm manifest, snapshot and disk, answering the probes
// (tool detection, snapshot hashing through coreutils, snapshot status, df).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionContext, ActionDefinition, Finding, SharedPlan } from '../../../src/core/action.js';
import { preflightAction, type PreflightShared } from '../../../src/actions/etcd/preflight.js';
import { restoreAction } from '../../../src/actions/etcd/restore.js';
import { createActionContext } from '../../../src/engine/action-context.js';
import type { Host } from '../../../src/core/inventory.js';
import { FakeTransport } from '../../etcd/helpers/context.js';
import { KUBEADM_ETCD_YAML } from '../../etcd/helpers/manifests.js';
import { fakeSnapshot } from '../../etcd/helpers/fake-bolt.js';

const SNAPSHOT = '/backup/snap.db';
const CLUSTER = 'm1=https://10.0.0.11:2380,m2=https://10.0.0.12:2380,m3=https://10.0.0.13:2380';
const GOOD = fakeSnapshot(4);
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface MasterOptions {
  snapshot?: Buffer | null;
  freeKiB?: number;
  manifestDir?: string;
  cluster?: string;
}

function manifestOf(n: number, cluster = CLUSTER): string {
  return KUBEADM_ETCD_YAML.replaceAll('10.0.0.11', `10.0.0.1${n}`)
    .replace('--name=m1', `--name=m${n}`)
    .replace('--initial-cluster=m1=https://10.0.0.1' + n + ':2380', `--initial-cluster=${cluster}`);
}

/** Master n: its manifest, the snapshot (unless null), /var/lib/etcd, etcdctl 3.4.23. */
function master(n: number, options: MasterOptions = {}): { ctx: (dryRun?: boolean) => ActionContext; transport: FakeTransport } {
  const files = new Map<string, Buffer | 'dir'>([
    [`${options.manifestDir ?? '/etc/kubernetes/manifests'}/etcd.yaml`, Buffer.from(manifestOf(n, options.cluster))],
    ['/var/lib/etcd', 'dir'],
    ['/var/lib', 'dir'],
  ]);
  const snapshot = options.snapshot === undefined ? GOOD : options.snapshot;
  if (snapshot) files.set(SNAPSHOT, snapshot);
  const transport = new FakeTransport(files, (shell) => {
    if (shell === 'uname -n') return { stdout: `master${n}\n` };
    if (shell === 'command -v etcdutl') return { exitCode: 1 };
    if (shell === 'command -v etcdctl') return { stdout: '/usr/bin/etcdctl\n' };
    if (shell.endsWith('etcdctl version')) return { stdout: 'etcdctl version: 3.4.23\nAPI version: 3.4\n' };
    if (shell.endsWith('snapshot restore --help')) return { stdout: '      --skip-hash-check\n' };
    if (shell.includes('snapshot status -w json')) return { stdout: '{"hash":1,"revision":42,"totalKey":61,"totalSize":16384}\n' };
    const hashes = /^head -c (\d+) -- (\S+) \| sha256sum && sha256sum < \S+ && tail -c 32 -- \S+ \| od -An -v -tx1$/.exec(shell);
    if (hashes && snapshot) {
      const data = snapshot.subarray(0, Number(hashes[1]));
      const trailer = snapshot
        .subarray(snapshot.length - 32)
        .toString('hex')
        .match(/../g)!
        .join(' ');
      return { stdout: `${sha(data)}  -\n${sha(snapshot)}  -\n ${trailer}\n` };
    }
    if (shell.includes('df -Pk')) return { stdout: `/dev/sda1 100000000 1000 ${options.freeKiB ?? 50_000_000} 1% /\n` };
    return { exitCode: 127, stderr: `unexpected: ${shell}` };
  });
  const host: Host = { name: `host${n}`, connection: 'ssh', ssh: {}, vars: {}, groups: [] };
  return {
    transport,
    ctx: (dryRun = false) => createActionContext({ host, transport, run: { id: 'r9', startedAt: '', dryRun, stateDir: '/nonexistent' }, stepId: 'preflight' }),
  };
}

async function across<A>(action: ActionDefinition<A>, masters: Array<ReturnType<typeof master>>, raw: Record<string, unknown> | Array<Record<string, unknown>>, dryRun = false): Promise<SharedPlan> {
  const hosts = masters.map((m, i) => ({ ctx: m.ctx(dryRun), args: action.schema.parse(Array.isArray(raw) ? raw[i] : raw) }));
  return action.planAcrossHosts!(hosts);
}

const errorsOn = (shared: SharedPlan, host: string) => shared.findings.filter((f) => f.host === host && f.finding.level === 'error').map((f) => f.finding.message);
const allErrors = (shared: SharedPlan) => shared.findings.filter((f) => f.finding.level === 'error').map((f) => `${f.host}: ${f.finding.message}`);
const text = (findings: Array<{ finding: Finding }>) => findings.map((f) => f.finding.message).join('\n');

test('three sound masters pass: same snapshot everywhere, the tool, the disk, and the member table in the plan', async () => {
  const shared = await across(preflightAction, [master(1), master(2), master(3)], { snapshot: SNAPSHOT, dataDir: '/var/lib/etcd' });
  assert.deepEqual(allErrors(shared), []);
  const all = text(shared.findings);
  assert.match(all, new RegExp(`identical on host1, host2, host3 \\(sha256 ${sha(GOOD)}\\)`));
  assert.match(all, /host2: restore tool etcdctl 3\.4\.23 at \/usr\/bin\/etcdctl/);
  assert.match(all, /host3 reachable \(ssh\): it answers as master3/);
  assert.match(all, /etcd membership \(3 inventory host\(s\), live: no answer, .*\n\s+MEMBER\s+PEER URL\s+HOST\s+LIVE\s+SNAPSHOT\s+LISTED BY/);
  assert.match(all, /restore with --initial-cluster m1=https:\/\/10\.0\.0\.11:2380,m2=.*,m3=https:\/\/10\.0\.0\.13:2380/);
  assert.match(all, /host1: dataDir \/var\/lib\/etcd is the dir etcd runs with/);
  const membership = (shared.value as PreflightShared).membership;
  assert.deepEqual(
    membership.restore.members.map((m) => m.name),
    ['m1', 'm2', 'm3'],
  );
  const plan = await preflightAction.plan(master(2).ctx(), preflightAction.schema.parse({ snapshot: SNAPSHOT }), shared.value);
  assert.deepEqual(plan.changes, [], 'read-only');
  assert.match(plan.findings[0]!.message, /host2 restores member m2 \(peer https:\/\/10\.0\.0\.12:2380/);
});

test('a snapshot that differs on one master is an error on that master, naming both SHA-256s', async () => {
  const odd = fakeSnapshot(5);
  const shared = await across(preflightAction, [master(1), master(2, { snapshot: odd }), master(3)], { snapshot: SNAPSHOT });
  assert.deepEqual(errorsOn(shared, 'host1'), []);
  assert.deepEqual(errorsOn(shared, 'host3'), []);
  assert.match(errorsOn(shared, 'host2').join('\n'), new RegExp(`differs between the hosts \\(host1, host3: ${sha(GOOD)}; host2: ${sha(odd)}\\)`));
});

test('an expected SHA-256 that no master has fails every master', async () => {
  const expected = 'a'.repeat(64);
  const shared = await across(preflightAction, [master(1), master(2)], { snapshot: SNAPSHOT, expectedSha256: expected });
  for (const host of ['host1', 'host2']) assert.match(errorsOn(shared, host).join('\n'), new RegExp(`has sha256 ${sha(GOOD)}, but ${expected} is expected \\(expectedSha256\\)`));
});

test("the upload path: in a dry-run a missing snapshot is judged by the operator's file; in a run it is an error", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-preflight-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const source = join(dir, 'snap.db');
  await writeFile(source, GOOD);
  const masters = () => [master(1, { snapshot: null }), master(2, { snapshot: null }), master(3, { snapshot: null })];
  const dry = await across(preflightAction, masters(), { snapshot: SNAPSHOT, source }, true);
  assert.deepEqual(allErrors(dry), []);
  assert.match(text(dry.findings), new RegExp(`host2: ${SNAPSHOT} is not there yet: an earlier step uploads ${source.replaceAll('/', '\\/')} \\(${GOOD.length} bytes, sha256 ${sha(GOOD)}\\)`));
  const run = await across(preflightAction, masters(), { snapshot: SNAPSHOT, source });
  assert.match(errorsOn(run, 'host1').join('\n'), /snapshot \/backup\/snap\.db does not exist on fake/);
  // Uploaded, but another file than the operator's: refused.
  const other = await across(preflightAction, [master(1, { snapshot: fakeSnapshot(5) })], { snapshot: SNAPSHOT, source });
  assert.match(errorsOn(other, 'host1').join('\n'), /but [0-9a-f]{64} is expected \(the operator's .*snap\.db\)/);
  const unreadable = await across(preflightAction, [master(1)], { snapshot: SNAPSHOT, source: join(dir, 'nope.db') });
  assert.match(errorsOn(unreadable, 'host1').join('\n'), /nope\.db cannot be read on this machine \(ENOENT\)/);
});

test("the copy path: in a dry-run a missing snapshot is judged by the copiedFrom host's file; in a run, and for another file, it is an error", async () => {
  const dry = await across(preflightAction, [master(1), master(2, { snapshot: null }), master(3, { snapshot: null })], { snapshot: SNAPSHOT, copiedFrom: 'host1' }, true);
  assert.deepEqual(allErrors(dry), []);
  for (const host of ['host2', 'host3']) {
    assert.match(text(dry.findings), new RegExp(`${host}: ${SNAPSHOT} is not there yet: an earlier step copies it from host1 \\(${GOOD.length} bytes, sha256 ${sha(GOOD)}\\)`));
  }
  assert.match(text(dry.findings), new RegExp(`identical on host1, host2, host3 \\(sha256 ${sha(GOOD)}\\)`));
  // A real run after the copy step: every host's own file counts; a missing one is an error.
  const run = await across(preflightAction, [master(1), master(2, { snapshot: null }), master(3)], { snapshot: SNAPSHOT, copiedFrom: 'host1' });
  assert.match(errorsOn(run, 'host2').join('\n'), /snapshot \/backup\/snap\.db does not exist on fake/);
  assert.deepEqual(errorsOn(run, 'host3'), []);
  // Another file already on a host (the copy step refuses it too): not the source's.
  const odd = fakeSnapshot(5);
  const other = await across(preflightAction, [master(1), master(2, { snapshot: odd }), master(3, { snapshot: null })], { snapshot: SNAPSHOT, copiedFrom: 'host1' }, true);
  assert.match(errorsOn(other, 'host2').join('\n'), new RegExp(`has sha256 ${sha(odd)}, but ${sha(GOOD)} is expected \\(the file of host1, copied from there\\)`));
  assert.deepEqual(errorsOn(other, 'host1'), []);
  // The source host must be one of the step's hosts; source and copiedFrom exclude each other.
  const outside = await across(preflightAction, [master(1), master(2)], { snapshot: SNAPSHOT, copiedFrom: 'host7' }, true);
  assert.deepEqual(
    allErrors(outside),
    ['host1', 'host2'].map((h) => `${h}: copiedFrom host7 is not one of this step's hosts (host1, host2): the snapshot is copied from one of them`),
  );
  const both = preflightAction.schema.safeParse({ snapshot: SNAPSHOT, source: './etcd.db', copiedFrom: 'host1' });
  assert.equal(both.success, false);
  assert.match(both.error!.issues[0]!.message, /either from this machine \(source \.\/etcd\.db\) or from one host \(copiedFrom host1\), not both/);
  assert.deepEqual(both.error!.issues[0]!.path, ['copiedFrom']);
});

test('a full disk, a data dir etcd does not use and a member no host covers are errors before any change', async () => {
  const shared = await across(preflightAction, [master(1, { freeKiB: 10 }), master(2)], [{ snapshot: SNAPSHOT }, { snapshot: SNAPSHOT, dataDir: '/srv/etcd' }]);
  assert.match(errorsOn(shared, 'host1').join('\n'), /host1: only 1 MiB free under \/var\/lib; the restore needs about 65 MiB/);
  assert.match(
    errorsOn(shared, 'host2').join('\n'),
    /host2: dataDir \/srv\/etcd is not the dir etcd runs with: kubeadm static pod \/etc\/kubernetes\/manifests\/etcd\.yaml runs etcd on \/var\/lib\/etcd.*pass -p dataDir=\/var\/lib\/etcd/,
  );
  assert.match(errorsOn(shared, 'host2').join('\n'), /host2: the data dir \/srv\/etcd does not exist/);
  // m3 is in every manifest (history), but only two masters are in the step: neither the
  // live cluster nor the snapshot could be read here, so it is a warning, not a refusal
  // (the refusals from live and snapshot members are in membership-decision.test.ts).
  assert.match(text(shared.findings), /m3 \(https:\/\/10\.0\.0\.13:2380\), which no inventory host covers; neither the live cluster nor the snapshot was read/);
});

test("restore with cluster: hosts: every master restores with the table's --initial-cluster and the run's token, as its own member (manifests in the stash)", async () => {
  const stash = '/etc/kubernetes/manifests-stash/r9';
  const masters = [1, 2, 3].map((n) => master(n, { manifestDir: stash }));
  const raw = { cluster: 'hosts', snapshot: SNAPSHOT, dataDir: '/var/lib/etcd-restore-r9', manifest: '/etc/kubernetes/manifests/etcd.yaml', stashDir: stash, name: '', initialAdvertisePeerUrls: '' };
  const shared = await across(restoreAction, masters, raw);
  assert.deepEqual(allErrors(shared), []);
  const commands = await Promise.all(
    masters.map(async (m) => {
      const plan = await restoreAction.plan(m.ctx(), restoreAction.schema.parse(raw), shared.value);
      assert.deepEqual(
        plan.findings.filter((f) => f.level === 'error'),
        [],
      );
      return plan.changes[0]!.command!.toDisplay();
    }),
  );
  commands.forEach((command, i) => {
    assert.match(command, new RegExp(`--name m${i + 1} --initial-cluster ${CLUSTER} --initial-advertise-peer-urls https://10\\.0\\.0\\.1${i + 1}:2380 --initial-cluster-token drbook-r9 `));
  });
  // The manifest mode (a given cluster) shares nothing.
  const single = await across(restoreAction, [master(1)], { snapshot: SNAPSHOT, dataDir: '/var/lib/etcd-restore' });
  assert.deepEqual(single, { findings: [] });
});

test('restore with cluster: hosts refuses a table with two masters claiming one member', async () => {
  const masters = [master(1), master(2), master(3)];
  const raw = (name: string) => ({ cluster: 'hosts', snapshot: SNAPSHOT, dataDir: '/var/lib/etcd-restore-r9', name });
  const shared = await across(restoreAction, masters, [raw(''), raw('m1'), raw('')]);
  assert.match(errorsOn(shared, 'host2').join('\n'), /etcd member name m1 is claimed by host1 and host2/);
});
