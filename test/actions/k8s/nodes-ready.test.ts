import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodesReadyAction, parseNodeReadiness, permanentFailureOf } from '../../../src/actions/k8s/nodes-ready.js';
import { applyPlan, errorsOf, makeContext, planAction } from '../../etcd/helpers/context.js';
import { cleanups } from '../../etcd/helpers/etcd-server.js';

const node = (name: string, status: string, reason?: string) => ({
  metadata: { name },
  status: {
    conditions: [
      { type: 'MemoryPressure', status: 'False' },
      { type: 'Ready', status, ...(reason ? { reason, message: 'kubelet is posting' } : {}) },
    ],
  },
});

/**
 * A kubectl stand-in that fails with the error in error.txt when there is one, else
 * prints nodes.json, else fails like an unreachable API server. It counts its calls.
 */
async function makeKubectl(t: Parameters<typeof cleanups>[0]) {
  const dir = await cleanups(t).tempDir('drbook-kubectl-');
  const kubectl = join(dir, 'kubectl');
  const nodesFile = join(dir, 'nodes.json');
  const errorFile = join(dir, 'error.txt');
  const callsFile = join(dir, 'calls');
  const kubeconfig = join(dir, 'admin.conf');
  await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  await writeFile(
    kubectl,
    `#!/bin/sh
echo call >> '${callsFile}'
[ "$1 $2" = "--kubeconfig ${kubeconfig}" ] || { echo "bad args: $*" >&2; exit 2; }
[ -e '${errorFile}' ] && { cat '${errorFile}' >&2; exit 1; }
[ -e '${nodesFile}' ] || { echo 'E1123 09:46:58.673073   17404 memcache.go:265] "Unhandled Error" err="couldn'"'"'t get current server API group list' >&2; echo 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?' >&2; exit 1; }
cat '${nodesFile}'
`,
  );
  await chmod(kubectl, 0o755);
  const setNodes = (items: unknown[]) => writeFile(nodesFile, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const setError = (text: string | undefined) => (text === undefined ? rm(errorFile, { force: true }) : writeFile(errorFile, text));
  const calls = async () => (await readFile(callsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  return { kubectl, kubeconfig, setNodes, setError, calls, args: { kubectl, kubeconfig, timeout: '700ms', interval: '100ms' } };
}

// What kubectl 1.32 prints for each answer (the corrupt-object form is the sandbox API
// server's and a real one's: apierrors.NewInternalError of storage.NewCorruptObjError).
const CORRUPT =
  'Error from server (InternalError): Internal error occurred: StorageError: corrupt object, Code: 7, Key: /registry/minions/node9, ResourceVersion: 57, AdditionalErrorMsg: cannot decode the stored value: Node.status (NodeStatus): field 4 has wire type 0, expected length-delimited\n';
const FORBIDDEN = 'Error from server (Forbidden): nodes is forbidden: User "system:anonymous" cannot list resource "nodes" in API group "" at the cluster scope\n';
const UNAUTHORIZED =
  'E1123 09:46:58.673073   17404 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API group list: the server has asked for the client to provide credentials"\nerror: You must be logged in to the server (Unauthorized)\n';
const NO_RESOURCE = 'error: the server doesn\'t have a resource type "nodes"\n';
const UNAVAILABLE = 'Error from server (ServiceUnavailable): etcd is unreachable: 14 UNAVAILABLE: No connection established\n';

test('parseNodeReadiness reads the Ready condition of each node', () => {
  const parsed = parseNodeReadiness(JSON.stringify({ items: [node('a', 'True'), node('b', 'False', 'KubeletNotReady'), { metadata: { name: 'c' }, status: {} }] }));
  assert.deepEqual(
    parsed.map((n) => [n.name, n.ready]),
    [
      ['a', true],
      ['b', false],
      ['c', false],
    ],
  );
  assert.equal(parsed[1]!.detail, 'Ready=False (KubeletNotReady: kubelet is posting)');
  assert.equal(parsed[2]!.detail, 'no Ready condition');
  assert.throws(() => parseNodeReadiness('{}'), /no "items"/);
});

test('nodes-ready passes when every node is Ready', async (t) => {
  const k = await makeKubectl(t);
  await k.setNodes([node('node1', 'True'), node('node2', 'True')]);
  const logs: string[] = [];
  const ctx = makeContext({ logs });
  const plan = await planAction(nodesReadyAction, ctx, k.args);
  assert.deepEqual(errorsOf(plan), []);
  assert.equal(plan.changes.length, 1);
  assert.equal(plan.changes[0]!.readOnly, true);
  await applyPlan(ctx, plan);
  assert.ok(logs.includes('Ready: node1, node2'), logs.join('\n'));
});

test('nodes-ready times out naming the nodes that are not Ready, and the missing ones', async (t) => {
  const k = await makeKubectl(t);
  await k.setNodes([node('node1', 'True'), node('node2', 'False', 'KubeletNotReady')]);
  const ctx = makeContext();
  const plan = await planAction(nodesReadyAction, ctx, { ...k.args, nodes: 'node1,node3' });
  await assert.rejects(applyPlan(ctx, plan), /nodes not Ready after 700ms: not Ready: node2 \(Ready=False \(KubeletNotReady: kubelet is posting\)\); missing: node3/);
});

test('nodes-ready says when the API server is not answering, and waits for it to come back', async (t) => {
  const k = await makeKubectl(t);
  const ctx = makeContext();
  const plan = await planAction(nodesReadyAction, ctx, k.args);
  await assert.rejects(applyPlan(ctx, plan), /the API server is not answering \(kubectl get nodes: The connection to the server 127\.0\.0\.1:6443 was refused/);

  setTimeout(() => void k.setNodes([node('node1', 'True')]), 300);
  await applyPlan(ctx, await planAction(nodesReadyAction, ctx, { ...k.args, timeout: '5s' }));
});

test('nodes-ready plan: missing kubectl or kubeconfig are errors', async (t) => {
  const k = await makeKubectl(t);
  const plan = await planAction(nodesReadyAction, makeContext({ dryRun: true }), { kubectl: '/nonexistent/kubectl', kubeconfig: '/nonexistent/admin.conf' });
  const errors = errorsOf(plan).join('\n');
  assert.match(errors, /\/nonexistent\/kubectl is not installed/);
  assert.match(errors, /kubeconfig \/nonexistent\/admin\.conf does not exist/);
  assert.deepEqual(errorsOf(await planAction(nodesReadyAction, makeContext({ dryRun: true }), k.args)), []);
});

test('permanentFailureOf: what waiting cannot change, and what it can', () => {
  assert.equal(permanentFailureOf(CORRUPT), 'the API server cannot decode what etcd holds');
  assert.equal(permanentFailureOf(FORBIDDEN), "the kubeconfig's user is not allowed to list nodes");
  assert.equal(permanentFailureOf(UNAUTHORIZED), "the API server does not accept the kubeconfig's credentials");
  assert.equal(permanentFailureOf(NO_RESOURCE), 'the API server does not serve nodes');
  assert.equal(
    permanentFailureOf('error: error loading config file "/etc/kubernetes/admin.conf": open /etc/kubernetes/admin.conf: permission denied\n'),
    'kubectl cannot use the kubeconfig or the server certificate',
  );
  for (const transient of [
    UNAVAILABLE,
    'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n',
    'Unable to connect to the server: net/http: TLS handshake timeout\n',
    'Unable to connect to the server: dial tcp 10.0.0.11:6443: i/o timeout\n',
    'Error from server (InternalError): Internal error occurred: etcdserver: request timed out\n',
    'Error from server (Timeout): the server was unable to return a response in the time allotted, but may still be processing the request (get nodes)\n',
    'Error from server (InternalError): an error on the server ("") has prevented the request from succeeding (get nodes)\n',
  ])
    assert.equal(permanentFailureOf(transient), undefined, transient);
});

for (const [what, stderr, expected] of [
  [
    'a value the API server cannot decode',
    CORRUPT,
    /^the API server cannot decode what etcd holds, waiting cannot help \(kubectl get nodes: Error from server \(InternalError\): Internal error occurred: StorageError: corrupt object, Code: 7, Key: \/registry\/minions\/node9, .*AdditionalErrorMsg: cannot decode the stored value: Node\.status/,
  ],
  ['an authorization failure', FORBIDDEN, /^the kubeconfig's user is not allowed to list nodes, waiting cannot help \(kubectl get nodes: Error from server \(Forbidden\): nodes is forbidden/],
  [
    'refused credentials',
    UNAUTHORIZED,
    /^the API server does not accept the kubeconfig's credentials, waiting cannot help \(kubectl get nodes: error: You must be logged in to the server \(Unauthorized\)\)$/,
  ],
  ['an unknown resource', NO_RESOURCE, /^the API server does not serve nodes, waiting cannot help/],
] as const) {
  test(`nodes-ready fails at once on ${what}, with kubectl's answer, instead of polling until the timeout`, async (t) => {
    const k = await makeKubectl(t);
    await k.setError(stderr);
    const ctx = makeContext();
    const plan = await planAction(nodesReadyAction, ctx, { ...k.args, timeout: '5m', interval: '100ms' });
    const started = Date.now();
    await assert.rejects(applyPlan(ctx, plan), (error: Error) => expected.test(error.message));
    assert.ok(Date.now() - started < 5_000, `failed after ${Date.now() - started} ms`);
    assert.equal(await k.calls(), 1, 'one look was enough');
  });
}

test('nodes-ready keeps polling through a 503 and passes once the API server answers', async (t) => {
  const k = await makeKubectl(t);
  await k.setError(UNAVAILABLE);
  await k.setNodes([node('node1', 'True')]);
  const logs: string[] = [];
  const ctx = makeContext({ logs });
  const plan = await planAction(nodesReadyAction, ctx, { ...k.args, timeout: '10s' });
  setTimeout(() => void k.setError(undefined), 400);
  await applyPlan(ctx, plan);
  assert.ok(
    logs.some((line) => /the API server is not answering \(kubectl get nodes: Error from server \(ServiceUnavailable\)/.test(line)),
    logs.join('\n'),
  );
  assert.ok(logs.includes('Ready: node1'), logs.join('\n'));
  assert.ok((await k.calls()) >= 3, 'it asked again while the API server was unavailable');
});
