// The kill-point sweep of runbooks/etcd-restore-ha.yaml on a real 3-master sandbox
// (each master behind its own sshd): kill -9 after journal entries and inside changes, then `drbook rollback`
// or `drbook resume`, judged on the hosts (test/faults/support/kill-case.ts).
// npm test runs a deterministic sample; DRBOOK_FAULTS=full (npm run test:faults) every point.
// Loopback prefixes: 127.0.181. (the sandbox), 127.0.185.1 (the silent TCP server)
import { after, before, test } from 'node:test';
import { FULL } from './support/figures.js';
import { assertClean, changePoints, entryPoints, externalPoints, prepare, sweep, type SweepContext } from './support/sweep.js';
import { stopTarget } from './support/target.js';
import { runAgainstSilentHost } from './support/silent-host.js';

const PREFIX = '127.0.181.';
let ctx: SweepContext | undefined;
before(async () => {
  ctx = await prepare(PREFIX, true);
});
after(async () => {
  if (ctx) await stopTarget(ctx.target);
});

test(
  `kill -9 after ${FULL ? 'every' : 'sampled'} journal entries, then rollback or resume: the hosts are back or restored, truthfully`,
  { skip: !FULL && 'sampled run (DRBOOK_FAULTS=full runs it)' },
  async (t) => {
    assertClean(await sweep(ctx!, 'kill-after-entry', entryPoints(ctx!.clean, []), PREFIX, t));
  },
);

test(`kill -9 inside ${FULL ? 'every' : 'sampled'} changes, before their results, then rollback or resume`, async (t) => {
  const points = changePoints(ctx!.clean, [{ stepId: 'restore', recovery: 'resume' }]);
  assertClean(await sweep(ctx!, 'kill-before-result', points, PREFIX, t));
});

test('a real kill -9 of drbook while a long change runs (the stop waiting for the pods, the restore)', { skip: !FULL && 'sampled run (DRBOOK_FAULTS=full runs it)' }, async (t) => {
  assertClean(await sweep(ctx!, 'external-kill', externalPoints(ctx!.clean, 0), PREFIX, t));
});

test('a host that accepts TCP and never speaks SSH (node3 replaced by a silent TCP server): refused before any change, in bounded time, naming it', async (t) => {
  await runAgainstSilentHost(ctx!.target, ctx!.snapshot, t);
});
