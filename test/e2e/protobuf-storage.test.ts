// What real API servers store, end to end with the real CLI, etcd, etcdctl and kubectl:
// a default sandbox stores protobuf in the k8s\0 envelope; a protobuf snapshot rehearses
// to a pass with its nodes, pods and namespaces decoded; a JSON-mode sandbox still
// works; a value the API server cannot decode fails k8s.nodes-ready in seconds, naming it.
// Loopback prefixes (H2's range): 127.0.111. the protobuf sandbox, 127.0.112. the JSON
// sandbox, 127.0.113. and 127.0.114. the rehearsals' sandboxes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { type SandboxInfo, type SandboxNodeInfo, manifestPath, pathsOfNode, openEtcdClient, decodeStoredObject, encodeStoredObject, decodeUnknown } from '@drbook/sandbox';
import { runCli } from './support/cli.js';
import { RESTORE_RUNBOOK, startSandbox, tearDown } from './support/sandbox.js';

function etcdctl(node: SandboxNodeInfo, args: string[]) {
  const p = pathsOfNode(node.root);
  const tls = [`--cacert=${p.etcdPkiDir}/ca.crt`, `--cert=${p.etcdPkiDir}/healthcheck-client.crt`, `--key=${p.etcdPkiDir}/healthcheck-client.key`];
  return execa('etcdctl', [`--endpoints=${node.etcdEndpoint}`, ...tls, '--command-timeout=10s', ...args], { env: { ETCDCTL_API: '3' }, reject: false });
}

/** The raw bytes etcd holds under `key`, read with the real etcdctl (-w json carries them as base64). */
async function rawValue(node: SandboxNodeInfo, key: string): Promise<Buffer> {
  const result = await etcdctl(node, ['get', key, '-w', 'json']);
  assert.equal(result.exitCode, 0, result.stderr);
  const kv = (JSON.parse(result.stdout) as { kvs?: Array<{ value: string }> }).kvs?.[0];
  assert.ok(kv, `${key} is in etcd`);
  return Buffer.from(kv.value, 'base64');
}

function kubectl(node: SandboxNodeInfo, cacheDir: string, ...args: string[]) {
  return execa('kubectl', ['--kubeconfig', node.kubeconfig, '--cache-dir', cacheDir, '--request-timeout=10s', ...args], { reject: false });
}

/** kubectl once the API server answers (the rehearsal's last step restarts the kubelet, and the API server with it). */
async function kubectlWhenReady(node: SandboxNodeInfo, cacheDir: string, ...args: string[]) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await kubectl(node, cacheDir, ...args);
    if (result.exitCode === 0 || Date.now() > deadline || !/connection to the server .* was refused|ServiceUnavailable/.test(result.stderr)) return result;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const names = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0]);

/** A client for writing binary values (etcdctl put takes text), with the node's own certs. */
function etcdClientOf(node: SandboxNodeInfo) {
  const p = pathsOfNode(node.root);
  return openEtcdClient({ endpoints: [node.etcdEndpoint], caFile: `${p.etcdPkiDir}/ca.crt`, certFile: `${p.etcdPkiDir}/healthcheck-client.crt`, keyFile: `${p.etcdPkiDir}/healthcheck-client.key` });
}

/** A snapshot holding a value the API server cannot decode, saved by the first test for the last. */
let unreadableSnapshot: string | undefined;
const keptFiles: string[] = [];
after(async () => {
  for (const dir of keptFiles) await rm(dir, { recursive: true, force: true });
});

test('a default sandbox stores protobuf as a real API server does; kubectl shows it decoded; a protobuf snapshot rehearses to a pass', async (t) => {
  const sbx = await startSandbox('127.0.111.', (fn) => t.after(fn));
  const node = sbx.node;
  const cache = join(sbx.base, 'kube-cache');
  assert.equal(sbx.info.seeded?.storageMediaType, 'application/vnd.kubernetes.protobuf');

  // The k8s\0 envelope and its typeMeta, read back with etcdctl.
  for (const [key, apiVersion, kind] of [
    ['/registry/minions/node1', 'v1', 'Node'],
    ['/registry/namespaces/kube-system', 'v1', 'Namespace'],
    ['/registry/pods/kube-system/etcd-node1', 'v1', 'Pod'],
    ['/registry/deployments/kube-system/coredns', 'apps/v1', 'Deployment'],
  ] as const) {
    const value = await rawValue(node, key);
    assert.deepEqual([...value.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00], `${key} starts with k8s\\0`);
    const envelope = decodeUnknown(value);
    assert.deepEqual([envelope.apiVersion, envelope.kind, envelope.contentEncoding, envelope.contentType], [apiVersion, kind, '', ''], key);
  }
  const manifest = await readFile(manifestPath(node.root, 'kube-apiserver'), 'utf8');
  assert.doesNotMatch(manifest, /storage-media-type/, "protobuf is the API server's default: kubeadm writes no flag for it");

  // The real kubectl: every seeded node, pod and namespace.
  const nodes = await kubectl(node, cache, 'get', 'nodes', '--no-headers');
  assert.equal(nodes.exitCode, 0, nodes.stderr);
  assert.deepEqual(names(nodes.stdout), sbx.info.seeded!.nodes);
  const pods = await kubectl(node, cache, 'get', 'pods', '-A', '--no-headers');
  assert.equal(pods.exitCode, 0, pods.stderr);
  assert.ok(pods.stdout.includes('etcd-node1') && pods.stdout.split('\n').filter((line) => /\sRunning\s/.test(line)).length >= 10, pods.stdout);
  const namespaces = await kubectl(node, cache, 'get', 'namespaces', '--no-headers');
  assert.deepEqual(names(namespaces.stdout), ['default', 'demo', 'kube-node-lease', 'kube-public', 'kube-system']);

  // A value the API server cannot decode: k8s.nodes-ready gives up in seconds, naming the key.
  const runbook = join(sbx.base, 'nodes-ready.yaml');
  await writeFile(
    runbook,
    [
      'apiVersion: drbook/v1',
      'kind: Runbook',
      'metadata: { name: nodes-ready }',
      'params: { kubeconfig: { type: path, required: true } }',
      'targets: local',
      'steps:',
      '  - id: verify-nodes',
      '    name: Verify the nodes are Ready',
      '    uses: k8s.nodes-ready',
      '    with: { kubeconfig: "{{ params.kubeconfig }}", timeout: 5m }',
      '',
    ].join('\n'),
  );
  const put = await etcdctl(node, ['put', '/registry/minions/zz-unreadable', 'k8s:enc:aescbc:v1:key1:not-for-us']);
  assert.equal(put.exitCode, 0, put.stderr);
  const started = Date.now();
  const failed = await runCli(['run', runbook, '-p', `kubeconfig=${node.kubeconfig}`, '--yes', '-o', 'plain', '--state-dir', join(sbx.base, 'state-nodes')], { env: { KUBECACHEDIR: cache } });
  const elapsed = Date.now() - started;
  const out = failed.stdout + failed.stderr;
  assert.equal(failed.code, 1, out);
  assert.match(
    out,
    /the API server cannot decode what etcd holds, waiting cannot help \(kubectl get nodes: Error from server \(InternalError\): Internal error occurred: StorageError: corrupt object, Code: 7, Key: \/registry\/minions\/zz-unreadable, .*encrypted at rest \(provider aescbc, key key1\)/,
  );
  assert.ok(elapsed < 20_000, `nodes-ready gave up after ${elapsed} ms (its timeout is 5m)`);
  const keptDir = await mkdtemp(join(tmpdir(), 'drbook-e2e-unreadable-'));
  keptFiles.push(keptDir);
  const unreadable = join(keptDir, 'unreadable.db');
  assert.equal((await runCli(['sandbox', 'snapshot', unreadable, '--dir', sbx.dir])).code, 0);
  unreadableSnapshot = unreadable;
  assert.equal((await etcdctl(node, ['del', '/registry/minions/zz-unreadable'])).exitCode, 0);

  // The snapshot to rehearse: protobuf values, plus a node the rehearsal sandbox's own seed does not have.
  const client = etcdClientOf(node);
  try {
    const worker = decodeStoredObject(await rawValue(node, '/registry/minions/worker1')) as { metadata: { name: string; uid: string } };
    worker.metadata = { ...worker.metadata, name: 'from-the-snapshot' };
    await client.put('/registry/minions/from-the-snapshot').value(encodeStoredObject(worker as never, 'application/vnd.kubernetes.protobuf'));
  } finally {
    client.close();
  }
  const snapshot = join(sbx.base, 'backup', 'etcd.db');
  const saved = await runCli(['sandbox', 'snapshot', snapshot, '--dir', sbx.dir]);
  assert.equal(saved.code, 0, saved.stderr);

  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-rehearse-pb-'));
  const dir = join(base, 'sandbox');
  t.after(() => tearDown(base, dir));
  const rehearsal = await runCli(['rehearse', RESTORE_RUNBOOK, '--snapshot', snapshot, '--ip-prefix', '127.0.113.', '--dir', dir, '--state-dir', join(base, 'state'), '--keep', '-o', 'plain'], {
    env: { KUBECACHEDIR: join(base, 'kube-cache') },
  });
  const rehearsed = rehearsal.stdout + rehearsal.stderr;
  assert.equal(rehearsal.code, 0, rehearsed);
  assert.match(rehearsed, /rehearsal PASSED/);
  assert.match(rehearsed, /Ready: .*from-the-snapshot/, "nodes-ready saw the snapshot's nodes");

  // The kept rehearsal sandbox serves the snapshot's protobuf objects, decoded.
  const kept = JSON.parse(await readFile(join(dir, 'sandbox.json'), 'utf8')) as SandboxInfo;
  const rehearsalNode = kept.nodes[0]!;
  const restoredValue = await rawValue(rehearsalNode, '/registry/minions/from-the-snapshot');
  assert.equal(restoredValue.subarray(0, 4).toString('latin1'), 'k8s\0');
  const keptCache = join(base, 'kube-cache');
  const restoredNodes = await kubectlWhenReady(rehearsalNode, keptCache, 'get', 'nodes', '--no-headers');
  assert.equal(restoredNodes.exitCode, 0, restoredNodes.stderr);
  assert.deepEqual(names(restoredNodes.stdout).sort(), [...sbx.info.seeded!.nodes, 'from-the-snapshot'].sort());
  const restoredPods = await kubectl(rehearsalNode, keptCache, 'get', 'pods', '-A', '--no-headers');
  assert.equal(restoredPods.stdout.trim().split('\n').length, pods.stdout.trim().split('\n').length);
  const restoredNamespaces = await kubectl(rehearsalNode, keptCache, 'get', 'namespaces', '--no-headers');
  assert.deepEqual(names(restoredNamespaces.stdout), names(namespaces.stdout));
});

test('a JSON-mode sandbox stores JSON, says so in its kube-apiserver manifest, and serves it', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-json-'));
  const dir = join(base, 'sbx');
  t.after(() => tearDown(base, dir));
  const up = await runCli(['sandbox', 'up', '--dir', dir, '--ip-prefix', '127.0.112.', '--storage-media-type', 'json', '--json']);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  const info = JSON.parse(up.stdout) as SandboxInfo;
  const node = info.nodes[0]!;
  assert.equal(info.seeded?.storageMediaType, 'application/json');
  const value = (await rawValue(node, '/registry/minions/node1')).toString('utf8');
  assert.match(value, /^\{"kind":"Node","apiVersion":"v1","metadata":\{"name":"node1",/);
  assert.match(await readFile(manifestPath(node.root, 'kube-apiserver'), 'utf8'), /- --storage-media-type=application\/json\n/);
  const nodes = await kubectl(node, join(base, 'kube-cache'), 'get', 'nodes', '--no-headers');
  assert.equal(nodes.exitCode, 0, nodes.stderr);
  assert.deepEqual(names(nodes.stdout), info.seeded!.nodes);
});

test('rehearsing a snapshot with a value the API server cannot decode fails at verify-nodes in seconds, naming the key, and rolls back', async (t) => {
  if (!unreadableSnapshot) {
    t.skip('the first test did not get as far as saving the snapshot');
    return;
  }
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-rehearse-unreadable-'));
  const dir = join(base, 'sandbox');
  t.after(() => tearDown(base, dir));
  const started = Date.now();
  const rehearsal = await runCli(['rehearse', RESTORE_RUNBOOK, '--snapshot', unreadableSnapshot, '--ip-prefix', '127.0.114.', '--dir', dir, '--state-dir', join(base, 'state'), '-o', 'plain'], {
    env: { KUBECACHEDIR: join(base, 'kube-cache') },
  });
  const elapsed = Date.now() - started;
  const out = rehearsal.stdout + rehearsal.stderr;
  assert.equal(rehearsal.code, 1, out);
  assert.match(out, /verify-nodes.*the API server cannot decode what etcd holds, waiting cannot help .*Key: \/registry\/minions\/zz-unreadable, .*encrypted at rest/s);
  assert.match(out, /rolled back|rolled-back/);
  assert.ok(elapsed < 120_000, `the whole rehearsal took ${elapsed} ms; verify-nodes alone would wait 5 minutes`);
});
