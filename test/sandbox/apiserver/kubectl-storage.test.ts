// The sandbox API server on what real API servers store, driven by the real kubectl:
// protobuf values (the seed's, and real serializer output from kubernetes/api's testdata
// when it is present), JSON values beside them, and values it cannot decode — which
// kubectl reports naming the key, and which make k8s.nodes-ready fail at once.
// Loopback address: 127.0.110.11 (H2's range; admin.conf points at https://<ip>:6443).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Etcd3 } from 'etcd3';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';
import { commandOfEntry, pathsOfNode, openEtcdClient, seedClusterState, type SeedSummary, decodeStoredObject, encodeStoredObject } from '@drbook/sandbox';
import { nodesReadyAction } from '../../../src/actions/k8s/nodes-ready.js';
import { applyPlan, makeContext, planAction } from '../../etcd/helpers/context.js';
import { fixture } from '../../support/fixtures.js';

const IP = '127.0.110.11';
const TESTDATA = process.env.DRBOOK_K8S_API_TESTDATA ?? fixture('k8s-api-testdata');

let etcd: TestEtcd;
let client: Etcd3;
let apiserver: ChildProcess;
let apiserverLog = '';
let cacheDir: string;
let seeded: SeedSummary;

before(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'drbook-kubectl-cache-'));
  etcd = await startTestEtcd({ ip: IP, tls: true });
  seeded = await seedClusterState({ endpoints: [etcd.endpoint], caFile: etcd.caFile, certFile: etcd.certFile, keyFile: etcd.keyFile, nodes: ['node1'], nodeIps: { node1: IP } });
  client = openEtcdClient({ endpoints: [etcd.endpoint], caFile: etcd.caFile, certFile: etcd.certFile, keyFile: etcd.keyFile });
  const { pkiDir, etcdPkiDir } = pathsOfNode(etcd.root);
  const [command, ...args] = commandOfEntry('apiserver/main');
  apiserver = spawn(
    command!,
    [
      ...args,
      `--advertise-address=${IP}`,
      `--etcd-servers=${etcd.endpoint}`,
      `--etcd-cafile=${join(etcdPkiDir, 'ca.crt')}`,
      `--etcd-certfile=${join(pkiDir, 'apiserver-etcd-client.crt')}`,
      `--etcd-keyfile=${join(pkiDir, 'apiserver-etcd-client.key')}`,
      `--tls-cert-file=${join(pkiDir, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(pkiDir, 'apiserver.key')}`,
      `--client-ca-file=${join(pkiDir, 'ca.crt')}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  apiserver.stderr!.on('data', (chunk) => (apiserverLog += chunk));
  const deadline = Date.now() + 15_000;
  while ((await kubectl('get', '--raw', '/livez')).exitCode !== 0) {
    if (Date.now() > deadline) throw new Error(`the API server did not answer\n${apiserverLog}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

after(async () => {
  client?.close();
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

const rowsOf = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));

test('the seeded values are protobuf, and kubectl shows them decoded: nodes -o wide, pods -A, namespaces', async () => {
  const raw = (await client.get('/registry/minions/node1').buffer())!;
  assert.equal(raw.subarray(0, 4).toString('latin1'), 'k8s\0');
  assert.equal(seeded.storageMediaType, 'application/vnd.kubernetes.protobuf');

  const wide = await kubectl('get', 'nodes', '-o', 'wide');
  assert.equal(wide.exitCode, 0, wide.stderr);
  const [header, ...rows] = rowsOf(wide.stdout);
  assert.deepEqual(header, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
  assert.deepEqual(
    rows.map((row) => row[0]),
    seeded.nodes,
  );
  assert.deepEqual(rows[0], ['node1', 'Ready', 'control-plane', rows[0]![3]!, 'v1.32.4', IP, '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-28-amd64', 'containerd://1.7.24']);

  const pods = await kubectl('get', 'pods', '-A', '--no-headers');
  assert.equal(pods.exitCode, 0, pods.stderr);
  assert.equal(pods.stdout.trim().split('\n').length, seeded.counts.pods);
  for (const row of rowsOf(pods.stdout)) assert.deepEqual(row.slice(2, 5), ['1/1', 'Running', '0'], row.join(' '));
  const ns = await kubectl('get', 'namespaces', '--no-headers');
  assert.deepEqual(
    rowsOf(ns.stdout).map((row) => row.slice(0, 2)),
    [
      ['default', 'Active'],
      ['demo', 'Active'],
      ['kube-node-lease', 'Active'],
      ['kube-public', 'Active'],
      ['kube-system', 'Active'],
    ],
  );

  // -o json is the decoded object itself, with the key's revision as resourceVersion.
  const json = await kubectl('get', 'node', 'node1', '-o', 'json');
  const served = JSON.parse(json.stdout);
  const stored = (await client.get('/registry/minions/node1').exec()).kvs[0]!;
  assert.deepEqual(served, { ...decodeStoredObject(stored.value), metadata: { ...(decodeStoredObject(stored.value).metadata as object), resourceVersion: stored.mod_revision } });
  for (const kind of ['deploy', 'rs', 'ds', 'svc', 'cm', 'secrets', 'clusterroles']) {
    const result = await kubectl('get', kind, '-A', '--no-headers');
    assert.equal(result.exitCode, 0, `${kind}: ${result.stderr}`);
    assert.ok(result.stdout.trim().length > 0, kind);
  }
});

test('a JSON value beside protobuf ones is decoded too, by its first byte', async (t) => {
  const node = decodeStoredObject((await client.get('/registry/minions/worker1').buffer())!) as any;
  node.metadata.name = 'json-node';
  await client.put('/registry/minions/json-node').value(encodeStoredObject(node, 'application/json'));
  t.after(() =>
    client
      .delete()
      .key('/registry/minions/json-node')
      .then(() => undefined),
  );
  const result = await kubectl('get', 'nodes', '--no-headers');
  assert.equal(result.exitCode, 0, result.stderr);
  assert.ok(
    rowsOf(result.stdout).some((row) => row[0] === 'json-node' && row[1] === 'Ready'),
    result.stdout,
  );
});

test('real serializer output (kubernetes/api testdata) is served: a Node and a Pod', async (t) => {
  assert.ok(existsSync(join(TESTDATA, 'core.v1.Node.pb')), `${TESTDATA} has no kubernetes/api testdata (fixtures/k8s-api-testdata/SOURCE.md)`);
  const keys: string[] = [];
  t.after(async () => {
    for (const key of keys) await client.delete().key(key);
  });
  for (const kind of ['Node', 'Pod']) {
    const pb = await readFile(join(TESTDATA, `core.v1.${kind}.pb`));
    const twin = JSON.parse(await readFile(join(TESTDATA, `core.v1.${kind}.json`), 'utf8'));
    const key = kind === 'Node' ? `/registry/minions/${twin.metadata.name}` : `/registry/pods/${twin.metadata.namespace}/${twin.metadata.name}`;
    keys.push(key);
    await client.put(key).value(pb);
    const args = kind === 'Node' ? ['get', 'node', twin.metadata.name, '-o', 'json'] : ['get', 'pod', twin.metadata.name, '-n', twin.metadata.namespace, '-o', 'json'];
    const result = await kubectl(...args);
    assert.equal(result.exitCode, 0, result.stderr);
    const served = JSON.parse(result.stdout);
    assert.equal(served.metadata.uid, twin.metadata.uid);
    if (kind === 'Node') assert.deepEqual(served.status.nodeInfo, twin.status.nodeInfo);
    else
      assert.deepEqual(
        served.spec.containers.map((c: any) => c.image),
        twin.spec.containers.map((c: any) => c.image),
      );
  }
});

test('a value the API server cannot decode: kubectl names the key, and k8s.nodes-ready fails within seconds', async (t) => {
  const good = (await client.get('/registry/minions/worker2').buffer())!;
  const bad = Buffer.from(good.subarray(0, good.length - 9)); // cut inside the object
  await client.put('/registry/minions/zz-broken').value(bad);
  t.after(() =>
    client
      .delete()
      .key('/registry/minions/zz-broken')
      .then(() => undefined),
  );

  const result = await kubectl('get', 'nodes');
  assert.notEqual(result.exitCode, 0);
  assert.match(
    result.stderr,
    /Error from server \(InternalError\): Internal error occurred: StorageError: corrupt object, Code: 7, Key: \/registry\/minions\/zz-broken, ResourceVersion: \d+, AdditionalErrorMsg: cannot decode the stored value: .*runs past the end/,
  );
  // The other objects stay readable one by one.
  assert.equal((await kubectl('get', 'node', 'worker2', '--no-headers')).exitCode, 0);

  const previousCache = process.env.KUBECACHEDIR;
  process.env.KUBECACHEDIR = cacheDir;
  t.after(() => (previousCache === undefined ? delete process.env.KUBECACHEDIR : (process.env.KUBECACHEDIR = previousCache)));
  const ctx = makeContext();
  const plan = await planAction(nodesReadyAction, ctx, { kubeconfig: pathsOfNode(etcd.root).kubeconfig, timeout: '5m', interval: '1s' });
  const started = Date.now();
  await assert.rejects(applyPlan(ctx, plan), (error: Error) =>
    /^the API server cannot decode what etcd holds, waiting cannot help \(kubectl get nodes: .*Key: \/registry\/minions\/zz-broken,/.test(error.message),
  );
  assert.ok(Date.now() - started < 10_000, `nodes-ready took ${Date.now() - started} ms to give up`);
});
