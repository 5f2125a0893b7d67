// `sandbox up --ssh` for real: three masters and two workers, each with its own OpenSSH
// server on its own address (127.0.55.11-13 and .21-22, used by no other test), reached through drbook's SSH transport
// with strict known_hosts and with the real `ssh` client; `down` stops every process,
// also after an sshd was killed -9 with a session still open, and after an `up` failed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { DrbookError } from '../../../src/core/errors.js';
import { type SandboxError, sandboxDown, sandboxStatus, sandboxUp, stopSandboxProcesses, readSandboxInfo, sshFilesOfSandbox } from '@drbook/sandbox';
import { loadInventory } from '../../../src/inventory/load.js';
import { resolveTargets } from '../../../src/inventory/targets.js';
import { isProcessAlive } from '@drbook/system';
import { raw, sh } from '../../../src/shell/command.js';
import { openTransportPool } from '../../../src/transport/pool.js';
import { useSandboxDir } from '../support.js';

const PREFIX = '127.0.55.';

function sshArgs(info: { sshAccess?: { identityFile: string; knownHostsFile: string; port: number; user: string } }, address: string, command: string): string[] {
  const a = info.sshAccess!;
  return [
    '-i',
    a.identityFile,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${a.knownHostsFile}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-F',
    '/dev/null',
    '-p',
    String(a.port),
    `${a.user}@${address}`,
    command,
  ];
}

test('sandbox up --nodes 3 --workers 2 --ssh: every node over SSH at its own address, strict host keys, then down stops everything', async (t) => {
  const sbx = await useSandboxDir(t);
  const info = await sandboxUp({ dir: sbx.dir, nodes: 3, workers: 2, ipPrefix: PREFIX, ssh: true });
  const every = [...info.nodes, ...info.workers!];
  const sshdPids = every.map((n) => n.sshd?.pid ?? 0);
  [...info.pids, ...sshdPids].forEach(sbx.track);
  assert.equal(info.ssh, true);
  assert.deepEqual(
    every.map((n) => `${n.name} ${n.sshd?.address}`),
    ['node1 127.0.55.11', 'node2 127.0.55.12', 'node3 127.0.55.13', 'worker1 127.0.55.21', 'worker2 127.0.55.22'],
  );
  assert.equal(new Set(sshdPids).size, 5);
  for (const pid of sshdPids) assert.ok(isProcessAlive(pid), `sshd ${pid} runs`);

  // known_hosts: one line per node, each with that node's own host key.
  const knownHosts = (await readFile(info.sshAccess!.knownHostsFile, 'utf8')).trim().split('\n');
  assert.equal(knownHosts.length, 5);
  assert.equal(new Set(every.map((n) => n.sshd!.hostPublicKey)).size, 5, 'a host key per node');
  const port = info.sshAccess!.port;
  every.forEach((n, i) => assert.equal(knownHosts[i], `${port === 22 ? n.ip : `[${n.ip}]:${port}`} ${n.sshd!.hostPublicKey}`));

  // The inventory reaches each node over SSH; a command there sees that node's files.
  const inventory = await loadInventory(info.inventory);
  const hosts = resolveTargets(inventory, 'masters');
  assert.deepEqual(
    hosts.map((h) => [h.name, h.connection, h.ssh.address, h.ssh.hostKeyChecking]),
    [
      ['node1', 'ssh', '127.0.55.11', 'strict'],
      ['node2', 'ssh', '127.0.55.12', 'strict'],
      ['node3', 'ssh', '127.0.55.13', 'strict'],
    ],
  );
  const workerHosts = resolveTargets(inventory, 'workers');
  assert.deepEqual(
    workerHosts.map((h) => [h.name, h.connection, h.ssh.address, h.ssh.hostKeyChecking]),
    [
      ['worker1', 'ssh', '127.0.55.21', 'strict'],
      ['worker2', 'ssh', '127.0.55.22', 'strict'],
    ],
  );
  assert.equal(typeof hosts[0]!.vars.manifestsDir, 'string');
  const pool = await openTransportPool([...hosts, ...workerHosts]);
  try {
    for (const host of hosts) {
      const transport = await pool.get(host.name);
      assert.equal(transport.kind, 'ssh');
      const result = await transport.exec({ command: sh`grep -- --name= ${`${host.vars.manifestsDir}/etcd.yaml`}` });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`--name=${host.name}\\b`));
      assert.equal((await transport.readFile(`${host.vars.pkiDir}/etcd/ca.crt`)).subarray(0, 27).toString(), '-----BEGIN CERTIFICATE-----');
    }
    // A worker's kubelet is restarted over SSH as on a real worker: the inventory's kubeletRestart.
    for (const host of workerHosts) {
      const transport = await pool.get(host.name);
      const result = await transport.exec({ command: sh`${raw(String(host.vars.kubeletRestart))}` });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`kubelet of ${host.name} restarted \\(restart 1\\)`));
    }
  } finally {
    await pool.closeAll();
  }
  // ... and each connection was served by that node's own sshd.
  for (const node of every) assert.match(await readFile(node.sshd!.logFile, 'utf8'), /Accepted publickey for /, `${node.name}'s sshd log`);

  // The real ssh client with the written files.
  for (const node of info.nodes) {
    const result = await execa('ssh', sshArgs(info, node.ip, `ls ${node.root}/etc/kubernetes/manifests && echo SHLVL=$SHLVL`), { reject: false });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /etcd\.yaml/);
  }

  // status shows each sshd alive.
  const status = await sandboxStatus({ dir: sbx.dir });
  assert.equal(status.healthy, true);
  assert.deepEqual(
    status.nodes.map((n) => [n.sshd?.address, n.sshd?.pid, n.sshd?.alive]),
    every.map((n) => [n.ip, n.sshd!.pid, true]),
  );

  const report = await sandboxDown({ dir: sbx.dir });
  assert.deepEqual(report.stillAlive, []);
  for (const pid of sshdPids) assert.ok(report.stoppedSshd.includes(pid));
  for (const pid of [...sshdPids, ...info.pids]) assert.equal(isProcessAlive(pid), false, `pid ${pid} is gone`);
  assert.equal(existsSync(sbx.dir), false);
});

test('a node whose key is not the one in known_hosts is refused (no opt-out in the sandbox inventory)', async (t) => {
  const sbx = await useSandboxDir(t);
  const info = await sandboxUp({ dir: sbx.dir, nodes: 2, ipPrefix: PREFIX, ssh: true });
  [...info.pids, ...info.nodes.map((n) => n.sshd?.pid)].forEach(sbx.track);
  // Swap the two host keys: node1's address now records node2's key.
  const [n1, n2] = info.nodes;
  const port = info.sshAccess!.port;
  const at = (ip: string) => (port === 22 ? ip : `[${ip}]:${port}`);
  await writeFile(sshFilesOfSandbox(sbx.dir).knownHostsFile, `${at(n1!.ip)} ${n2!.sshd!.hostPublicKey}\n${at(n2!.ip)} ${n1!.sshd!.hostPublicKey}\n`);
  const pool = await openTransportPool(resolveTargets(await loadInventory(info.inventory), 'masters'));
  t.after(() => pool.closeAll());
  await assert.rejects(pool.get('node1'), (error: DrbookError) => error.host === 'node1' && /host key of .* has CHANGED/.test(error.message));
  const real = await execa('ssh', sshArgs(info, n1!.ip, 'true'), { reject: false });
  assert.notEqual(real.exitCode, 0);
  assert.match(real.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
});

test('down after an sshd was killed -9 with a session open also stops the orphaned session and its command', async (t) => {
  const sbx = await useSandboxDir(t);
  const info = await sandboxUp({ dir: sbx.dir, nodes: 1, ipPrefix: PREFIX, ssh: true });
  const sshdPid = info.nodes[0]!.sshd!.pid!;
  [...info.pids, sshdPid].forEach(sbx.track);
  // The remote shell prints its PID, then becomes `sleep`: the command the session runs.
  const client = spawn('ssh', sshArgs(info, info.nodes[0]!.ip, `echo $$; exec sleep 300 # ${sbx.dir}`), { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => void client.kill('SIGKILL'));
  const remotePid = await new Promise<number>((resolve, reject) => {
    client.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    client.once('exit', () => reject(new Error('ssh ended early')));
  });
  sbx.track(remotePid);
  assert.ok(isProcessAlive(remotePid));
  process.kill(sshdPid, 'SIGKILL');
  assert.equal((await sandboxStatus({ dir: sbx.dir })).nodes[0]!.sshd!.alive, false);

  const report = await sandboxDown({ dir: sbx.dir });
  assert.deepEqual(report.stillAlive, []);
  assert.ok(report.stoppedSshd.includes(remotePid), `the session's command ${remotePid} was found and stopped`);
  assert.equal(isProcessAlive(remotePid), false);
  assert.equal(existsSync(sbx.dir), false);
});

test('down of a dead sandbox never touches the sshd (or sessions) of a newer sandbox on the same addresses', async (t) => {
  const old = await useSandboxDir(t);
  const stale = await sandboxUp({ dir: old.dir, nodes: 1, ipPrefix: PREFIX, ssh: true });
  [...stale.pids, stale.nodes[0]!.sshd!.pid].forEach(old.track);
  await stopSandboxProcesses(old.dir, stale); // its processes are gone, its folder stays (like after a failed up)

  const sbx = await useSandboxDir(t);
  const info = await sandboxUp({ dir: sbx.dir, nodes: 1, ipPrefix: PREFIX, ssh: true });
  const sshdPid = info.nodes[0]!.sshd!.pid!;
  [...info.pids, sshdPid].forEach(sbx.track);
  const client = spawn('ssh', sshArgs(info, info.nodes[0]!.ip, 'echo $$; exec sleep 300'), { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => void client.kill('SIGKILL'));
  const remotePid = await new Promise<number>((resolve) => client.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  sbx.track(remotePid);

  const report = await sandboxDown({ dir: old.dir });
  assert.deepEqual(report.stoppedSshd, []);
  assert.ok(isProcessAlive(sshdPid) && isProcessAlive(remotePid), "the newer sandbox's sshd and session still run");
  const down = await sandboxDown({ dir: sbx.dir });
  assert.ok(down.stoppedSshd.includes(sshdPid) && down.stoppedSshd.includes(remotePid));
});

test('down finds the sshds from the node folders when sandbox.json is torn', async (t) => {
  const sbx = await useSandboxDir(t);
  const info = await sandboxUp({ dir: sbx.dir, nodes: 1, ipPrefix: PREFIX, ssh: true });
  const sshdPid = info.nodes[0]!.sshd!.pid!;
  [...info.pids, sshdPid].forEach(sbx.track);
  await writeFile(join(sbx.dir, 'sandbox.json'), '{"nodes": [');
  const report = await sandboxDown({ dir: sbx.dir });
  assert.ok(report.stoppedSshd.includes(sshdPid));
  assert.equal(isProcessAlive(sshdPid), false);
  assert.equal(existsSync(sbx.dir), false);
});

test('an up that fails after the sshds started stops them (and the runners) before it reports', async (t) => {
  const sbx = await useSandboxDir(t);
  // etcd cannot answer within 1 ms: up gives up right after starting every process.
  await assert.rejects(sandboxUp({ dir: sbx.dir, nodes: 2, workers: 1, ipPrefix: PREFIX, ssh: true, timeoutMs: 1 }), (error: SandboxError) => error.kind === 'timeout');
  const info = (await readSandboxInfo(sbx.dir))!;
  assert.equal(info.status, 'failed');
  const pids = [...info.pids, ...[...info.nodes, ...info.workers!].map((n) => n.sshd?.pid ?? 0)];
  assert.equal(pids.filter((pid) => pid > 0).length, 6, "the three runners (a worker's too) and the three sshds had started");
  for (const pid of pids) assert.equal(isProcessAlive(pid), false, `pid ${pid} was stopped by the failed up`);
  await sandboxDown({ dir: sbx.dir });
  assert.equal(existsSync(sbx.dir), false);
});
