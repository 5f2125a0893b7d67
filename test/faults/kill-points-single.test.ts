// The kill-point sweep of runbooks/etcd-restore.yaml on a real single-master sandbox
// (local hosts): kill -9 after journal entries and inside changes, then `drbook rollback`
// or `drbook resume`, judged on the hosts (test/faults/support/kill-case.ts).
// npm test runs a deterministic sample; DRBOOK_FAULTS=full (npm run test:faults) every point.
// Loopback prefix: 127.0.180.
import { after, before, test } from 'node:test';
import { FULL } from './support/figures.js';
import { assertClean, changePoints, entryPoints, externalPoints, prepare, sweep, type SweepContext } from './support/sweep.js';
import { stopTarget } from './support/target.js';

const PREFIX = '127.0.180.';
let ctx: SweepContext | undefined;
before(async () => {
  ctx = await prepare(PREFIX, false);
});
after(async () => {
  if (ctx) await stopTarget(ctx.target);
});

test(`kill -9 after ${FULL ? 'every' : 'sampled'} journal entries, then rollback or resume: the hosts are back or restored, truthfully`, async (t) => {
  assertClean(await sweep(ctx!, 'kill-after-entry', entryPoints(ctx!.clean, [0.3]), PREFIX, t));
});

test(`kill -9 inside ${FULL ? 'every' : 'sampled'} changes, before their results, then rollback or resume`, async (t) => {
  const points = changePoints(ctx!.clean, [{ stepId: 'start-control-plane', recovery: 'resume' }]);
  assertClean(await sweep(ctx!, 'kill-before-result', points, PREFIX, t));
});

test('a real kill -9 of drbook while a long change runs (the stop waiting for the pods, the restore)', async (t) => {
  assertClean(await sweep(ctx!, 'external-kill', externalPoints(ctx!.clean), PREFIX, t));
});
