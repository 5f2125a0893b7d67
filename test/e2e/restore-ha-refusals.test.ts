// The multi-master restore over SSH refuses to start when a master cannot be trusted
// or reached: a changed host key, or a master whose sshd is gone. Either way nothing
// changes on any master, and the old cluster keeps serving. One 3-node SSH sandbox
// for the file; the unreachable test runs last (it stops node3's sshd for good).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { isProcessAlive } from '@drbook/system';
import { parseEvents } from './support/cli.js';
import { PREFIX_HA_REFUSALS, fingerprintNodes, inventoryCopy, readKeys, runHa, runningOn, saveSnapshot, useHaSandbox, type HaSandbox } from './support/ha-sandbox.js';

const sandbox = useHaSandbox(PREFIX_HA_REFUSALS, { ssh: true });
const CONTROL_PLANE = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

let snapshotFile: string | undefined;
async function snapshot(sbx: HaSandbox): Promise<string> {
  snapshotFile ??= (await saveSnapshot(sbx, join(sbx.base, 'snap.db'))).file;
  return snapshotFile;
}

/** Run the restore; it must fail before any change, with the cluster exactly as it was. */
async function assertRefusedBeforeAnyChange(sbx: HaSandbox, args: string[], inventory: string | undefined, problem: RegExp) {
  const before = await fingerprintNodes(sbx);
  const keys = await readKeys(sbx);
  const result = await runHa(sbx, join(sbx.base, 'state'), ['-p', `snapshot=${await snapshot(sbx)}`, '--yes', '-o', 'json', ...args], { inventory });
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 1, out);
  assert.match(out, problem);
  const events = parseEvents(result.stdout);
  assert.deepEqual(
    events.filter((e) => e.type === 'change.started'),
    [],
    'nothing was changed on any master',
  );
  assert.ok(!events.some((e) => e.type === 'step.started' && e.stepId === 'stop-control-plane'), 'the control plane was never touched');
  assert.deepEqual(await fingerprintNodes(sbx), before, 'every master byte-identical');
  assert.deepEqual(await readKeys(sbx), keys, 'the old cluster serves the same data');
  for (let node = 0; node < 3; node++) assert.deepEqual(await runningOn(sbx, node), CONTROL_PLANE);
  return events;
}

test('an inventory that leaves out one master is refused by the preflight: its member would never be restored', async () => {
  const sbx = sandbox();
  const inventory = await inventoryCopy(sbx, 'two-of-three', {});
  const doc = parse(await readFile(inventory, 'utf8')) as { groups: { masters: { hosts: string[] } } };
  // node1, where kubeadm init ran. The live member list says the cluster has 3 members
  // (the manifests' --initial-cluster lists are only history).
  doc.groups.masters.hosts = ['node2', 'node3'];
  await writeFile(inventory, stringify(doc));
  const node1 = sbx.info.nodes[0]!;
  const events = await assertRefusedBeforeAnyChange(sbx, [], inventory, /the live cluster has 3 members, the inventory covers 2/);
  const failed = events.filter((e) => e.type === 'host.finished' && e.stepId === 'preflight');
  assert.deepEqual(
    failed.map((e) => `${e.host} ${e.state}`),
    ['node2 failed', 'node3 failed'],
  );
  assert.match(String(failed[0]!.error), new RegExp(`node1 \\(https://${node1.ip.replaceAll('.', '\\.')}:2380\\) is not covered .*-p dropMembers=node1`));
});

test('a changed host key on one master is refused, with its fingerprint, before anything changes', async () => {
  const sbx = sandbox();
  const access = sbx.info.sshAccess!;
  // node2's line now holds another key: as if the machine at that address had been replaced.
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'impostor', '-f', join(sbx.base, 'impostor')]);
  const impostor = (await readFile(join(sbx.base, 'impostor.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const node2 = sbx.info.nodes[1]!;
  const lines = (await readFile(access.knownHostsFile, 'utf8')).trim().split('\n');
  const rewritten = lines.map((line) => (line.split(/\s+/)[0]!.replace(/^\[|\](:\d+)?$/g, '') === node2.ip ? `${line.split(/\s+/)[0]} ${impostor}` : line));
  assert.notDeepEqual(rewritten, lines, "node2's known_hosts line was rewritten");
  const knownHosts = join(sbx.base, 'known_hosts.changed');
  await writeFile(knownHosts, rewritten.join('\n') + '\n');
  const inventory = await inventoryCopy(sbx, 'changed-key', {});
  const text = (await readFile(inventory, 'utf8')).replaceAll(access.knownHostsFile, knownHosts);
  await writeFile(inventory, text);

  const events = await assertRefusedBeforeAnyChange(sbx, [], inventory, /node2/);
  const failure = events.find((e) => e.type === 'host.finished' && e.host === 'node2' && e.state !== 'done' && e.state !== 'skipped');
  assert.ok(failure, 'node2 failed');
  assert.match(String(failure.error), /host key/i);
  assert.match(String(failure.error), /SHA256:[A-Za-z0-9+/]{43}/, 'the fingerprint is shown');
  const others = events.filter((e) => e.type === 'host.finished' && e.stepId === 'preflight' && e.host !== 'node2');
  assert.deepEqual(
    others.map((e) => e.state),
    ['cancelled', 'cancelled'],
    'the other masters are not blamed',
  );
});

test('a master whose sshd is gone fails the preflight before anything changes', async () => {
  const sbx = sandbox();
  const node3 = sbx.info.nodes[2]!;
  const pid = node3.sshd!.pid!;
  assert.ok(isProcessAlive(pid));
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(isProcessAlive(pid), false, "node3's sshd is stopped");

  const events = await assertRefusedBeforeAnyChange(sbx, [], undefined, /node3/);
  const preflight = events.filter((e) => e.type === 'host.finished' && e.stepId === 'preflight');
  assert.equal(preflight.find((e) => e.host === 'node3')?.state, 'unreachable');
  assert.match(String(preflight.find((e) => e.host === 'node3')?.error), new RegExp(node3.ip.replaceAll('.', '\\.')));
  // The reachable masters are not blamed for node3: they were not compared without it.
  assert.deepEqual(
    preflight.filter((e) => e.host !== 'node3').map((e) => e.state),
    ['cancelled', 'cancelled'],
  );
  assert.deepEqual(
    events.filter((e) => e.type === 'undo.started'),
    [],
    'nothing to undo',
  );
});
