import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodesReadyAction, parseNodeReadiness } from '../../../src/actions/k8s/nodes-ready.js';
import { applyPlan, errorsOf, makeContext, planAction } from '../../etcd/helpers/context.js';
import { cleanups } from '../../etcd/helpers/etcd-server.js';

const node = (name: string, status: string, reason?: string) => ({
  metadata: { name },
  status: { conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status, ...(reason ? { reason, message: 'kubelet is posting' } : {}) }] },
});

/** A kubectl stand-in that prints state/nodes.json, or fails like an unreachable API server when it is absent. */
async function makeKubectl(t: Parameters<typeof cleanups>[0]) {
  const dir = await cleanups(t).tempDir('drbook-kubectl-');
  const kubectl = join(dir, 'kubectl');
  const nodesFile = join(dir, 'nodes.json');
  const kubeconfig = join(dir, 'admin.conf');
  await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  await writeFile(
    kubectl,
    `#!/bin/sh
[ "$1 $2" = "--kubeconfig ${kubeconfig}" ] || { echo "bad args: $*" >&2; exit 2; }
[ -e '${nodesFile}' ] || { echo 'E1123 09:46:58.673073   17404 memcache.go:265] "Unhandled Error" err="couldn'"'"'t get current server API group list' >&2; echo 'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?' >&2; exit 1; }
cat '${nodesFile}'
`,
  );
  await chmod(kubectl, 0o755);
  const setNodes = (items: unknown[]) => writeFile(nodesFile, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return { kubectl, kubeconfig, setNodes, args: { kubectl, kubeconfig, timeout: '700ms', interval: '100ms' } };
}

test('parseNodeReadiness reads the Ready condition of each node', () => {
  const parsed = parseNodeReadiness(JSON.stringify({ items: [node('a', 'True'), node('b', 'False', 'KubeletNotReady'), { metadata: { name: 'c' }, status: {} }] }));
  assert.deepEqual(parsed.map((n) => [n.name, n.ready]), [['a', true], ['b', false], ['c', false]]);
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
