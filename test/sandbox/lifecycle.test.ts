import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { SandboxError, SandboxInputError, pathsOfNode, sandboxDown, sandboxStatus, sandboxUp } from '@drbook/sandbox';
import { isProcessAlive } from '@drbook/system';
import { crictl, etcdctlFor, useSandboxDir } from './support.js';

const PREFIX = '127.0.61.';

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function etcdPid(root: string): Promise<number | undefined> {
  const { stdout } = await crictl(root, ['ps', '-o', 'json', '--name', '^etcd$']);
  return (JSON.parse(stdout) as { containers: Array<{ pid: number }> }).containers[0]?.pid;
}

test('one node: etcd over TLS with client certs, crictl, static pods that follow their manifests, down after a crash', async (t) => {
  const sbx = await useSandboxDir(t);
  const info = await sandboxUp({ dir: sbx.dir, nodes: 1, ipPrefix: PREFIX });
  info.pids.forEach(sbx.track);
  const node = info.nodes[0]!;
  const p = pathsOfNode(node.root);
  assert.equal(info.status, 'running');
  assert.equal(node.ip, '127.0.61.11');
  assert.equal((await stat(p.dataDir)).mode & 0o777, 0o700);

  const inventory = parse(await readFile(info.inventory, 'utf8'));
  assert.equal(inventory.hosts.node1.connection, 'local');
  assert.equal(inventory.hosts.node1.vars.crictl, p.crictl);
  assert.equal(inventory.hosts.node1.vars.etcdEndpoint, 'https://127.0.61.11:2379');
  assert.ok(!inventory.hosts.node1.vars.stashDir.startsWith(p.manifestsDir + '/'), 'the stash must be outside the manifests folder');

  const etcdctl = etcdctlFor(node.root, node.ip);
  const put = await etcdctl(['put', '/drbook-test/key', 'before']);
  assert.equal(put.exitCode, 0, put.stderr);
  const anonymous = await etcdctlFor(node.root, node.ip, false)(['get', '/drbook-test/key']);
  assert.notEqual(anonymous.exitCode, 0, 'a client without a certificate must be refused');

  const ps = await crictl(node.root, ['ps']);
  assert.equal(ps.exitCode, 0, ps.stderr);
  for (const name of ['etcd', 'kube-controller-manager', 'kube-scheduler']) assert.match(ps.stdout, new RegExp(`Running\\s+${name}\\s+0\\s+\\w+\\s+${name}-node1`));
  const firstEtcd = await etcdPid(node.root);
  assert.ok(firstEtcd && isProcessAlive(firstEtcd));
  sbx.track(firstEtcd);

  // Stop the etcd static pod the way a runbook does: move its manifest out of the folder.
  await rename(join(p.manifestsDir, 'etcd.yaml'), join(p.stashDir, 'etcd.yaml'));
  await until('etcd gone from crictl ps', async () => (await crictl(node.root, ['ps', '-q', '--name', 'etcd'])).stdout.trim() === '');
  assert.equal(isProcessAlive(firstEtcd), false, 'the etcd process must be gone, not only unlisted');

  await rename(join(p.stashDir, 'etcd.yaml'), join(p.manifestsDir, 'etcd.yaml'));
  const secondEtcd = await until('etcd running again', () => etcdPid(node.root));
  sbx.track(secondEtcd);
  assert.notEqual(secondEtcd, firstEtcd);
  const get = await until('etcd serving again', async () => {
    const result = await etcdctl(['get', '/drbook-test/key', '--print-value-only']);
    return result.exitCode === 0 && result;
  });
  assert.equal(get.stdout.trim(), 'before', 'the data dir survives a pod restart');

  const status = await sandboxStatus({ dir: sbx.dir });
  assert.equal(status.healthy, true);
  assert.equal(status.nodes[0]!.runner.pid, info.pids[0]);
  assert.ok(status.nodes[0]!.containers.some((c) => c.name === 'etcd' && c.state === 'running' && c.pid === secondEtcd));

  await assert.rejects(sandboxUp({ dir: sbx.dir, ipPrefix: PREFIX }), (e: unknown) => e instanceof SandboxInputError && /already running/.test(e.message));

  // Crash the runner: its containers are orphans now; down must still find and stop them.
  const { stdout } = await crictl(node.root, ['ps', '-o', 'json']);
  const containerPids = (JSON.parse(stdout) as { containers: Array<{ pid: number }> }).containers.map((c) => c.pid);
  containerPids.forEach(sbx.track);
  assert.ok(containerPids.length >= 3);
  process.kill(info.pids[0]!, 'SIGKILL');
  await until('runner dead', async () => !isProcessAlive(info.pids[0]!));
  assert.ok(
    containerPids.every((pid) => isProcessAlive(pid)),
    'killing the runner alone leaves its containers running',
  );

  const report = await sandboxDown({ dir: sbx.dir });
  for (const pid of containerPids) assert.equal(isProcessAlive(pid), false, `pid ${pid} must be dead after down`);
  assert.deepEqual([...report.killedContainers].sort(), [...containerPids].sort());
  assert.equal(existsSync(sbx.dir), false);
});

test('up refuses a port in use (etcd or --ssh-port), a non-empty folder and --ssh-port without --ssh, before starting anything', async (t) => {
  const sbx = await useSandboxDir(t);
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(2379, '127.0.64.11', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  await assert.rejects(sandboxUp({ dir: sbx.dir, ipPrefix: '127.0.64.' }), /port 2379 on 127\.0\.64\.11 is in use/);
  assert.equal(existsSync(sbx.dir), false, 'nothing is created when the addresses are taken');
  const occupied = join(sbx.dir, '..', 'occupied');
  await mkdir(occupied);
  await writeFile(join(occupied, 'notes.txt'), 'mine');
  await assert.rejects(sandboxUp({ dir: occupied, ipPrefix: '127.0.65.' }), /exists and is not empty/);
  assert.deepEqual(await readdir(occupied), ['notes.txt']);
  await assert.rejects(sandboxUp({ dir: sbx.dir, sshPort: 2222 }), /--ssh-port is only meaningful with --ssh/);
  const sshBlocker = createServer();
  await new Promise<void>((resolve) => sshBlocker.listen(2222, '127.0.65.12', resolve));
  t.after(() => new Promise<void>((resolve) => sshBlocker.close(() => resolve())));
  await assert.rejects(sandboxUp({ dir: sbx.dir, ipPrefix: '127.0.65.', nodes: 2, ssh: true, sshPort: 2222 }), /--ssh-port: port 2222 on 127\.0\.65\.12 is in use/);
  assert.equal(existsSync(sbx.dir), false, 'nothing is created when the SSH port is taken');
});

test('an etcd that cannot start fails up with the node and its log named, and leaves no process behind', async (t) => {
  const sbx = await useSandboxDir(t);
  const saved = process.env.DRBOOK_ETCD_BIN;
  process.env.DRBOOK_ETCD_BIN = '/bin/false'; // inherited by the runner: every etcd start fails
  t.after(() => {
    if (saved === undefined) delete process.env.DRBOOK_ETCD_BIN;
    else process.env.DRBOOK_ETCD_BIN = saved;
  });
  const error = await sandboxUp({ dir: sbx.dir, ipPrefix: '127.0.66.', timeoutMs: 2500 }).then(
    () => assert.fail('up must fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SandboxError && error.kind === 'timeout', String(error));
  assert.equal(error.host, 'node1');
  assert.match(error.message, /etcd on node1 did not become ready within 3 s/);
  assert.match(error.hint ?? '', /node1\/var\/log\/pods\/etcd\.log/);
  const info = JSON.parse(await readFile(join(sbx.dir, 'sandbox.json'), 'utf8'));
  assert.equal(info.status, 'failed');
  info.pids.forEach(sbx.track);
  assert.equal(isProcessAlive(info.pids[0]), false, 'the runner is stopped when up gives up');
  assert.match(await readFile(join(sbx.dir, 'node1/var/log/pods/etcd.log'), 'utf8'), /starting etcd \(attempt 0\): \/bin\/false --advertise-client-urls=\S+ .* --name=node1 /);
  const status = await sandboxStatus({ dir: sbx.dir });
  assert.equal(status.healthy, false);
  await sandboxDown({ dir: sbx.dir });
  assert.equal(existsSync(sbx.dir), false);
});
