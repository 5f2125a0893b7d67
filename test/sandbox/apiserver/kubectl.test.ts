// The sandbox API server as the static-pod runner starts it (main with kube-apiserver's
// flags), over a real etcd, driven by the real kubectl with the node's admin.conf.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';
import { commandOfEntry, pathsOfNode, openEtcdClient, seedClusterState, type SeedSummary, decodeStoredObject, encodeStoredObject } from '@drbook/sandbox';

// admin.conf points at https://<ip>:6443, so this file owns its own loopback address.
const IP = '127.0.79.11';

let etcd: TestEtcd;
let apiserver: ChildProcess;
let apiserverLog = '';
let cacheDir: string;
let seeded: SeedSummary;

before(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'drbook-kubectl-cache-'));
  etcd = await startTestEtcd({ ip: IP, tls: true });
  seeded = await seedClusterState({ endpoints: [etcd.endpoint], caFile: etcd.caFile, certFile: etcd.certFile, keyFile: etcd.keyFile, nodes: ['node1'], nodeIps: { node1: IP } });
  const { pkiDir, etcdPkiDir } = pathsOfNode(etcd.root);
  const [command, ...args] = commandOfEntry('apiserver/main');
  apiserver = spawn(
    command!,
    [
      ...args,
      `--advertise-address=${IP}`,
      '--allow-privileged=true', // an unknown flag, as in kubeadm's manifest: ignored
      '--secure-port=6443',
      `--etcd-servers=${etcd.endpoint}`,
      `--etcd-cafile=${join(etcdPkiDir, 'ca.crt')}`,
      `--etcd-certfile=${join(pkiDir, 'apiserver-etcd-client.crt')}`,
      `--etcd-keyfile=${join(pkiDir, 'apiserver-etcd-client.key')}`,
      `--tls-cert-file=${join(pkiDir, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(pkiDir, 'apiserver.key')}`,
      `--client-ca-file=${join(pkiDir, 'ca.crt')}`,
      '--etcd-prefix=/registry',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  apiserver.stderr!.on('data', (chunk) => (apiserverLog += chunk));
  await waitFor(async () => (await get('/livez')).status === 200, 'the API server to answer /livez');
});

after(async () => {
  if (apiserver?.pid !== undefined && apiserver.exitCode === null && apiserver.signalCode === null) {
    const exited = new Promise((resolve) => apiserver.once('exit', resolve));
    process.kill(apiserver.pid, 'SIGTERM');
    await exited;
  }
  await etcd?.stop();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

function kubectl(...args: string[]) {
  return execa('kubectl', ['--kubeconfig', pathsOfNode(etcd.root).kubeconfig, '--cache-dir', cacheDir, '--request-timeout=10s', ...args], { reject: false });
}

/** An HTTPS GET trusting the cluster CA, anonymous unless `asAdmin`. */
async function get(path: string, asAdmin = false): Promise<{ status: number; body: string }> {
  const { pkiDir } = pathsOfNode(etcd.root);
  const ca = await readFile(join(pkiDir, 'ca.crt'));
  const client = asAdmin ? { cert: await readFile(join(pkiDir, 'admin.crt')), key: await readFile(join(pkiDir, 'admin.key')) } : {};
  return new Promise((resolve, reject) => {
    const req = request(`https://${IP}:6443${path}`, { ca, ...client, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}\n--- apiserver log ---\n${apiserverLog}`);
}

/** kubectl's table output as rows of cells, header first. */
function rowsOf(stdout: string): string[][] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

test('/readyz, /healthz and /version answer anonymous clients; resources need the client certificate', async () => {
  assert.deepEqual(await get('/readyz'), { status: 200, body: 'ok' });
  assert.match((await get('/healthz?verbose')).body, /\[\+\]etcd ok\nhealthz check passed/);
  assert.equal(JSON.parse((await get('/version')).body).gitVersion, 'v1.32.4');
  const anonymous = await get('/api/v1/nodes');
  assert.equal(anonymous.status, 401);
  assert.equal(JSON.parse(anonymous.body).reason, 'Unauthorized');
  const admin = await get('/api/v1/nodes', true);
  assert.equal(admin.status, 200);
  assert.equal(JSON.parse(admin.body).kind, 'NodeList');
});

test('kubectl get nodes lists the seeded nodes as Ready with their roles', async () => {
  const result = await kubectl('get', 'nodes');
  assert.equal(result.exitCode, 0, result.stderr);
  const [header, ...rows] = rowsOf(result.stdout);
  assert.deepEqual(header, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
  assert.deepEqual(
    rows.map((row) => row[0]),
    seeded.nodes,
  );
  for (const row of rows) assert.equal(row[1], 'Ready', row.join(' '));
  assert.deepEqual(
    rows.map((row) => row[2]),
    ['control-plane', '<none>', '<none>'],
  );
  for (const row of rows) assert.match(row[3]!, /^\d+[smh]/);
});

test('kubectl get nodes -o json returns the stored objects with their Ready condition', async () => {
  const result = await kubectl('get', 'nodes', '-o', 'json');
  assert.equal(result.exitCode, 0, result.stderr);
  const list = JSON.parse(result.stdout);
  assert.equal(list.items.length, seeded.counts.minions);
  const node1 = list.items.find((item: any) => item.metadata.name === 'node1');
  assert.equal(node1.status.addresses[0].address, IP);
  assert.equal(node1.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
  assert.match(node1.metadata.resourceVersion, /^\d+$/);
});

test('kubectl get pods -A lists every seeded pod as Running', async () => {
  const result = await kubectl('get', 'pods', '-A');
  assert.equal(result.exitCode, 0, result.stderr);
  const [header, ...rows] = rowsOf(result.stdout);
  assert.deepEqual(header, ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.equal(rows.length, seeded.counts.pods);
  assert.ok(
    rows.some((row) => row[0] === 'kube-system' && row[1] === 'etcd-node1'),
    result.stdout,
  );
  assert.equal(rows.filter((row) => row[0] === 'demo').length, 3);
  for (const row of rows) assert.deepEqual(row.slice(2, 5), ['1/1', 'Running', '0'], row.join(' '));
});

test('kubectl get ns, get deploy -A, a single object, selectors, and the errors kubectl shows', async () => {
  const ns = await kubectl('get', 'ns');
  assert.deepEqual(
    rowsOf(ns.stdout)
      .slice(1)
      .map((row) => row[0]),
    ['default', 'demo', 'kube-node-lease', 'kube-public', 'kube-system'],
  );
  const deploy = await kubectl('get', 'deploy', '-A');
  assert.deepEqual(
    rowsOf(deploy.stdout)
      .slice(1)
      .map((row) => row.slice(0, 3)),
    [
      ['demo', 'web', '3/3'],
      ['kube-system', 'coredns', '2/2'],
    ],
  );
  const pod = await kubectl('get', 'pod', 'etcd-node1', '-n', 'kube-system', '-o', 'jsonpath={.spec.nodeName}');
  assert.equal(pod.stdout, 'node1');
  const onWorker = await kubectl('get', 'pods', '-A', '--field-selector', 'spec.nodeName=worker2', '-o', 'name');
  assert.ok(onWorker.stdout.split('\n').length >= 2 && !onWorker.stdout.includes('etcd-node1'), onWorker.stdout);
  const web = await kubectl('get', 'pods', '-n', 'demo', '-l', 'app=web', '-o', 'name');
  assert.equal(web.stdout.split('\n').length, 3);
  const missing = await kubectl('get', 'pod', 'nope', '-n', 'demo');
  assert.notEqual(missing.exitCode, 0);
  assert.match(missing.stderr, /Error from server \(NotFound\): pods "nope" not found/);
  const write = await kubectl('delete', 'pod', 'etcd-node1', '-n', 'kube-system');
  assert.notEqual(write.exitCode, 0);
  assert.match(write.stderr, /MethodNotAllowed/);
  const unknown = await get('/api/v1/widgets', true);
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).kind, 'Status');
});

test('reads go to etcd on every request: a change in etcd shows at once', async (t) => {
  const client = openEtcdClient({ endpoints: [etcd.endpoint], caFile: etcd.caFile, certFile: etcd.certFile, keyFile: etcd.keyFile });
  t.after(() => client.close());
  const node = decodeStoredObject((await client.get('/registry/minions/worker2').buffer())!) as any;
  node.metadata.name = 'worker3';
  node.status.conditions.find((c: any) => c.type === 'Ready').status = 'False';
  await client.put('/registry/minions/worker3').value(encodeStoredObject(node, 'application/vnd.kubernetes.protobuf'));
  const result = await kubectl('get', 'node', 'worker3', '--no-headers');
  assert.match(result.stdout, /^worker3\s+NotReady\s/);
  await client.delete().key('/registry/minions/worker3');
  assert.equal((await kubectl('get', 'nodes', '--no-headers')).stdout.trim().split('\n').length, seeded.nodes.length);
});

test('/readyz fails while etcd is down and recovers when it is back', async () => {
  await etcd.kill();
  const started = Date.now();
  const down = await get('/readyz');
  assert.equal(down.status, 500);
  assert.match(down.body, /\[-\]etcd failed: .*\nreadyz check failed/);
  assert.ok(Date.now() - started < 8_000, 'readyz answers promptly while etcd is down');
  assert.equal((await get('/livez')).status, 200, 'the process itself is alive');
  const nodes = await kubectl('get', 'nodes');
  assert.notEqual(nodes.exitCode, 0);
  assert.match(nodes.stderr, /ServiceUnavailable|etcd is unreachable/);

  await etcd.restart();
  await waitFor(async () => (await get('/readyz')).status === 200, '/readyz to pass again after etcd restarted');
  const again = await kubectl('get', 'nodes', '--no-headers');
  assert.equal(again.exitCode, 0, again.stderr);
  assert.equal(again.stdout.trim().split('\n').length, seeded.nodes.length);
});
