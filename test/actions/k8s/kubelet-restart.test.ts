// k8s.kubelet-restart with a stand-in kubelet (a state file whose "restarts" count a
// restart command bumps, as the sandbox's run/kubelet.json): the restart is probed by
// its check; a failing restart fails the step, or with onFailure: warn is named and the
// step goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeletRestartAction } from '../../../src/actions/k8s/kubelet-restart.js';
import { readVerdict } from '../../../src/actions/check-verdict.js';
import { sh, raw } from '../../../src/shell/command.js';
import { applyPlan, findingText, makeContext, planAction } from '../../etcd/helpers/context.js';

async function kubelet(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-kubelet-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state = join(dir, 'kubelet.json');
  await writeFile(state, '{\n  "pid": 1,\n  "restarts": 3\n}\n');
  const bump = sh`n=$(sed -n 's/^ *"restarts": *\\([0-9]*\\).*/\\1/p' ${state}); printf '{\\n  "pid": 1,\\n  "restarts": %s\\n}\\n' $((n + 1)) > ${state}`;
  return { state, bump };
}

test('the restart is probed: reverted before, applied after (the count moved)', async (t) => {
  const { state, bump } = await kubelet(t);
  const logs: string[] = [];
  const ctx = makeContext({ logs });
  const plan = await planAction(kubeletRestartAction, ctx, { command: bump, stateFile: state });
  assert.match(findingText(plan), /kubelet on local: restarts 3/);
  const change = plan.changes[0]!;
  assert.equal(readVerdict(await ctx.probe(change.check!)).verdict, 'reverted');
  await applyPlan(ctx, plan);
  assert.equal(readVerdict(await ctx.probe(change.check!)).verdict, 'applied');
});

test('onFailure: fail rejects a failing restart; warn names it and goes on', async (t) => {
  const { state } = await kubelet(t);
  const failing = sh`echo "kubelet.service not found" >&2; exit 5`;
  const ctx = makeContext();
  await assert.rejects(applyPlan(ctx, await planAction(kubeletRestartAction, ctx, { command: failing, stateFile: state })), /exited with 5/);
  const logs: string[] = [];
  const warnCtx = makeContext({ logs });
  await applyPlan(warnCtx, await planAction(kubeletRestartAction, warnCtx, { command: failing, stateFile: state, onFailure: 'warn' }));
  assert.match(logs.join('\n'), /WARNING: the kubelet of local was NOT restarted \(the restart command exited 5: kubelet.service not found\)/);
  // A command that "succeeds" without restarting anything is not taken for a restart.
  const logs2: string[] = [];
  const ctx2 = makeContext({ logs: logs2 });
  await applyPlan(ctx2, await planAction(kubeletRestartAction, ctx2, { command: sh`${raw('true')}`, stateFile: state, onFailure: 'warn' }));
  assert.match(logs2.join('\n'), /NOT restarted \(its identity did not change/);
});
