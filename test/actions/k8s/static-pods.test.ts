import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../../src/core/errors.js';
import { staticPodsStartAction } from '../../../src/actions/k8s/static-pods-start.js';
import { staticPodsStopAction } from '../../../src/actions/k8s/static-pods-stop.js';
import { applyPlan, errorsOf, findingText, makeContext, planAction, runUndo } from '../../etcd/helpers/context.js';
import { cleanups } from '../../etcd/helpers/etcd-server.js';
import { readVerdict } from '../../../src/actions/check-verdict.js';
import { getAction } from '../../../src/actions/registry.js';

const PODS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/**
 * A node: a manifests folder and a crictl stand-in playing an instant kubelet: a pod
 * runs while its manifest is in the folder, or while state/stuck-POD exists (a container
 * that will not die), never while state/dead-POD exists (a pod crashing before anything
 * was done); state/broken makes crictl fail like an unreachable runtime.
 */
async function makeNode(t: Parameters<typeof cleanups>[0]) {
  const root = await cleanups(t).tempDir('drbook-pods-');
  const manifestsDir = join(root, 'etc/kubernetes/manifests');
  const stashDir = join(root, 'etc/kubernetes/manifests-stash/run-1'); // per run, as the runbook does
  const state = join(root, 'state');
  await mkdir(manifestsDir, { recursive: true });
  await mkdir(state);
  for (const pod of PODS) await writeFile(join(manifestsDir, `${pod}.yaml`), `kind: Pod\nmetadata: {name: ${pod}}\n`);
  const crictl = join(root, 'crictl');
  await writeFile(
    crictl,
    // Answers like the real `crictl ps --state running -o json` (one call lists every
    // running container; drbook filters by metadata.name); each call is logged in state/calls.
    `#!/bin/sh
echo "$*" >> '${state}/calls'
[ "$1" = ps ] || { echo "unknown command $1" >&2; exit 1; }
[ -e '${state}/broken' ] && { echo 'failed to connect: connection refused' >&2; exit 1; }
sep=""; printf '{\n  "containers": ['
for pod in ${PODS.join(' ')}; do
  [ -e '${state}/dead-'"$pod" ] && continue
  if [ -e '${manifestsDir}/'"$pod.yaml" ] || [ -e '${state}/stuck-'"$pod" ]; then
    printf '%s\n    {\n      "id": "id-%s",\n      "metadata": {\n        "name": "%s",\n        "attempt": 0\n      },\n      "state": "CONTAINER_RUNNING"\n    }' "$sep" "$pod" "$pod"; sep=","
  fi
done
printf '\n  ]\n}\n'
`,
  );
  await chmod(crictl, 0o755);
  const args = { manifestsDir, stashDir, crictl, timeout: '3s', interval: '100ms' };
  return { root, manifestsDir, stashDir, state, crictl, args };
}

const list = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).sort();

test('stop: moves every manifest to the stash (etcd last), waits until none runs, and a second plan has nothing to do', async (t) => {
  const node = await makeNode(t);
  const dry = await planAction(staticPodsStopAction, makeContext({ dryRun: true }), node.args);
  assert.deepEqual(errorsOf(dry), []);
  const commands = dry.changes.map((c) => c.command?.toDisplay() ?? c.description);
  assert.match(commands[0]!, /^mkdir -p -m 700 -- .*manifests-stash\/run-1$/);
  assert.deepEqual(
    commands.slice(1, 5).map((c) => /manifests\/([\w-]+)\.yaml/.exec(c)?.[1]),
    ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'],
  );
  assert.match(commands[5]!, /wait until crictl shows no container of/);
  assert.equal(dry.changes[5]!.readOnly, true);
  assert.match(findingText(dry), /running now: kube-apiserver, kube-controller-manager, kube-scheduler, etcd/);
  assert.deepEqual(
    await list(node.manifestsDir),
    PODS.map((p) => `${p}.yaml`),
    'planning changes nothing',
  );

  const ctx = makeContext();
  await applyPlan(ctx, await planAction(staticPodsStopAction, ctx, node.args));
  assert.deepEqual(await list(node.manifestsDir), []);
  assert.deepEqual(
    await list(node.stashDir),
    PODS.map((p) => `${p}.yaml`),
  );

  const again = await planAction(staticPodsStopAction, ctx, node.args);
  assert.deepEqual(again.changes, []);
  // One crictl call per look (plan probe or poll), listing every running container: never one per pod.
  const calls = (await readFile(join(node.state, 'calls'), 'utf8')).trim().split('\n');
  assert.deepEqual([...new Set(calls)], ['ps --state running -o json']);
  assert.match(findingText(again), /already in the stash/);
});

test('stop refuses a stash inside the manifests folder', async (t) => {
  const node = await makeNode(t);
  await assert.rejects(
    planAction(staticPodsStopAction, makeContext(), { ...node.args, stashDir: join(node.manifestsDir, 'backup') }),
    (error: unknown) => error instanceof InputError && /the kubelet would run the manifests moved there/.test(error.message),
  );
  await assert.rejects(planAction(staticPodsStopAction, makeContext(), { ...node.args, stashDir: node.manifestsDir + '/' }), InputError);
});

test('stop refuses to overwrite a different file in the stash, moves over an identical one', async (t) => {
  const node = await makeNode(t);
  await mkdir(node.stashDir, { recursive: true });
  await writeFile(join(node.stashDir, 'etcd.yaml'), 'an older etcd.yaml\n');
  const plan = await planAction(staticPodsStopAction, makeContext(), node.args);
  assert.match(errorsOf(plan).join('\n'), /the stash already holds a different .*etcd\.yaml: refusing to overwrite it/);

  await writeFile(join(node.stashDir, 'etcd.yaml'), 'kind: Pod\nmetadata: {name: etcd}\n');
  const same = await planAction(staticPodsStopAction, makeContext(), node.args);
  assert.deepEqual(errorsOf(same), []);
  assert.ok(same.changes.some((c) => /mv -- .*manifests\/etcd\.yaml/.test(c.command?.toDisplay() ?? '')));
  assert.ok(!same.changes.some((c) => /mkdir/.test(c.command?.toDisplay() ?? '')), 'the stash exists already');
});

test('stop and start without a working crictl are errors before anything moves', async (t) => {
  const node = await makeNode(t);
  const missing = await planAction(staticPodsStopAction, makeContext(), { ...node.args, crictl: join(node.root, 'no-crictl') });
  assert.match(errorsOf(missing).join('\n'), /cannot tell whether the containers stopped: .*no-crictl is not installed/);
  await writeFile(join(node.state, 'broken'), '');
  const broken = await planAction(staticPodsStopAction, makeContext(), node.args);
  assert.match(errorsOf(broken).join('\n'), /cannot tell whether the containers stopped: `.*crictl ps` failed: failed to connect: connection refused/);
  const start = await planAction(staticPodsStartAction, makeContext({ dryRun: true }), node.args);
  assert.match(errorsOf(start).join('\n'), /cannot tell whether the containers started: `.*crictl ps` failed: failed to connect/);
});

test('stop times out naming the containers still running', async (t) => {
  const node = await makeNode(t);
  await writeFile(join(node.state, 'stuck-kube-apiserver'), '');
  const ctx = makeContext();
  const plan = await planAction(staticPodsStopAction, ctx, { ...node.args, timeout: '600ms', interval: '100ms' });
  const started = Date.now();
  await assert.rejects(applyPlan(ctx, plan), /containers not stopped after 600ms \(crictl\): still running: kube-apiserver \(1 container\)/);
  assert.ok(Date.now() - started < 5000);
});

test('stop undone (engine order: last change first) brings every pod back and removes the stash folders it made', async (t) => {
  const node = await makeNode(t);
  const ctx = makeContext();
  const plan = await planAction(staticPodsStopAction, ctx, node.args);
  await applyPlan(ctx, plan);
  assert.deepEqual(await list(node.manifestsDir), []);
  const undos = plan.changes
    .map((c) => c.undo)
    .filter((u) => u)
    .reverse();
  assert.equal(undos.length, 6, 'wait, four moves and the stash folder');
  assert.equal('action' in undos[0]! && undos[0].action, 'static-pods.start');
  for (const undo of undos) await runUndo(ctx, undo!);
  assert.deepEqual(
    await list(node.manifestsDir),
    PODS.map((p) => `${p}.yaml`),
  );
  assert.deepEqual(await list(join(node.root, 'etc/kubernetes')), ['manifests']);
});

test('a pod that was down before the stop is not waited for by the undo (a rollback must not fail on it)', async (t) => {
  const node = await makeNode(t);
  await writeFile(join(node.state, 'dead-etcd'), ''); // etcd's data is gone: it crashes
  const ctx = makeContext();
  const plan = await planAction(staticPodsStopAction, ctx, node.args);
  assert.match(findingText(plan), /running now: kube-apiserver, kube-controller-manager, kube-scheduler$/m);
  await applyPlan(ctx, plan);
  const undos = plan.changes
    .map((c) => c.undo)
    .filter((u) => u)
    .reverse();
  assert.deepEqual('action' in undos[0]! ? undos[0].with.waitFor : null, ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
  // No undo waits for etcd (it cannot come up): no wait change names it, and every undo
  // succeeds (a wait for etcd would fail at its timeout).
  for (const undo of undos) {
    if ('action' in undo!) {
      const plan = await planAction(getAction(undo.action)!, ctx, undo.with);
      const waits = plan.changes.filter((c) => c.readOnly).map((c) => c.description);
      assert.ok(
        waits.every((w) => !/\betcd\b/.test(w)),
        `no wait for etcd: ${waits.join('; ')}`,
      );
    }
    await runUndo(ctx, undo!);
  }
  assert.deepEqual(
    await list(node.manifestsDir),
    PODS.map((p) => `${p}.yaml`),
  );
});

test('start: dry-run shows the moves an earlier stop makes possible; real run moves back etcd first and waits', async (t) => {
  const node = await makeNode(t);
  // Dry-run before anything stopped: the manifests are still in place; the plan shows the
  // moves back that follow the stop step.
  const dry = await planAction(staticPodsStartAction, makeContext({ dryRun: true }), { ...node.args, pods: ['kube-scheduler'] });
  assert.deepEqual(errorsOf(dry), []);
  assert.match(findingText(dry), /info: kube-scheduler: .*manifests-stash\/run-1\/kube-scheduler\.yaml \(moved there by an earlier step; in .* now\)/);
  assert.match(dry.changes[0]!.command!.toDisplay(), /^mv -- \S+manifests-stash\/run-1\/kube-scheduler\.yaml \S+manifests\/kube-scheduler\.yaml$/);
  assert.match(dry.changes[1]!.description, /wait until crictl shows kube-scheduler running/);
  // A real run with the manifest in place: nothing to move, and it runs.
  const inPlace = await planAction(staticPodsStartAction, makeContext(), { ...node.args, pods: ['kube-scheduler'] });
  assert.deepEqual(inPlace.changes, []);
  assert.match(findingText(inPlace), /kube-scheduler: already in/);

  const ctx = makeContext();
  await applyPlan(ctx, await planAction(staticPodsStopAction, ctx, node.args));
  const plan = await planAction(staticPodsStartAction, ctx, node.args);
  const moved = plan.changes.filter((c) => c.command).map((c) => /manifests-stash\/run-1\/([\w-]+)\.yaml/.exec(c.command!.toDisplay())?.[1]);
  assert.deepEqual(moved, ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
  await applyPlan(ctx, plan);
  assert.deepEqual(
    await list(node.manifestsDir),
    PODS.map((p) => `${p}.yaml`),
  );
  assert.deepEqual(await list(node.stashDir), []);
  const again = await planAction(staticPodsStartAction, ctx, node.args);
  assert.deepEqual(again.changes, [], findingText(again));

  // Its undo stops them again.
  for (const undo of plan.changes
    .map((c) => c.undo)
    .filter((u) => u)
    .reverse())
    await runUndo(ctx, undo!);
  assert.deepEqual(await list(node.manifestsDir), []);
  assert.deepEqual(
    await list(node.stashDir),
    PODS.map((p) => `${p}.yaml`),
  );
});

test('start: a manifest in neither place is info in a dry-run (an earlier step moves it) and an error in a real run', async (t) => {
  const node = await makeNode(t);
  await mkdir(node.stashDir, { recursive: true });
  const { rename } = await import('node:fs/promises');
  await rename(join(node.manifestsDir, 'etcd.yaml'), join(node.root, 'elsewhere.yaml'));
  const dry = await planAction(staticPodsStartAction, makeContext({ dryRun: true }), { ...node.args, pods: ['etcd'] });
  assert.deepEqual(errorsOf(dry), []);
  assert.match(findingText(dry), /info: etcd: .*manifests-stash\/run-1\/etcd\.yaml \(moved there by an earlier step\)/);
  assert.ok(
    dry.changes.some((c) => /^mv -- /.test(c.command?.toDisplay() ?? '')),
    'the move is shown',
  );
  const real = await planAction(staticPodsStartAction, makeContext(), { ...node.args, pods: ['etcd'] });
  assert.match(errorsOf(real).join('\n'), /etcd: no manifest in the stash .* nor in .*: cannot start it/);
});

test('every change of a stop carries its check: reverted before, applied after, reverted again after the undos (pods running again)', async (t) => {
  const node = await makeNode(t);
  const ctx = makeContext();
  const plan = await planAction(staticPodsStopAction, ctx, node.args);
  const verdicts = async () => Promise.all(plan.changes.map(async (c) => readVerdict(await ctx.probe(c.check!)).verdict));
  assert.ok(
    plan.changes.every((c) => c.check),
    'a check on every change',
  );
  assert.deepEqual(
    await verdicts(),
    plan.changes.map(() => 'reverted'),
  );
  await applyPlan(ctx, plan);
  assert.deepEqual(
    await verdicts(),
    plan.changes.map(() => 'applied'),
  );
  for (const undo of plan.changes
    .map((c) => c.undo)
    .filter((u) => u)
    .reverse())
    await runUndo(ctx, undo!);
  assert.deepEqual(
    await verdicts(),
    plan.changes.map(() => 'reverted'),
  );
  // A manifest edited in the meantime is not "the" manifest: the check cannot tell.
  await writeFile(join(node.manifestsDir, 'etcd.yaml'), 'kind: Pod\n# edited\n');
  const etcdMove = plan.changes.find((c) => c.description.includes('etcd.yaml'))!;
  assert.equal(readVerdict(await ctx.probe(etcdMove.check!)).verdict, 'unknown');
});
