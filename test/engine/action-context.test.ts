// A probe stopped before it answered (the run's interrupt, its own timeout) is reported
// as such and never read as a fact ("not installed", "not there"); a poll may take a
// slow answer as "not yet". Real processes through the local transport.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActionContext } from '../../src/core/action.js';
import { findCommand } from '../../src/actions/find-command.js';
import { checkCrictl } from '../../src/actions/k8s/crictl.js';
import { createActionContext, localHost } from '../../src/engine/action-context.js';
import { DrbookError } from '../../src/core/errors.js';
import { sh } from '../../src/shell/command.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { ExecRequest, ExecResult, Transport } from '../../src/core/transport.js';

function contextWith(signal?: AbortSignal, transport: Transport = new LocalTransport()): ActionContext {
  return createActionContext({ host: localHost(), transport, run: { id: 'r', startedAt: 'now', dryRun: true, stateDir: '/nonexistent' }, stepId: 's', signal });
}

const isKind = (kind: string, message: RegExp) => (error: unknown) => error instanceof DrbookError && error.kind === kind && message.test(error.message);

test('a probe cut off by the interrupt rejects as cancelled, also in the readers', async () => {
  const controller = new AbortController();
  const ctx = contextWith(controller.signal);
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(ctx.probe(sh`sleep 5; command -v sh`), isKind('cancelled', /cancelled before it answered: `sleep 5; command -v sh` \(the probe was stopped by the interrupt/));
  // crictl present or not, an interrupted look is not "not installed"
  await assert.rejects(checkCrictl(contextWith(controller.signal), 'sh'), isKind('cancelled', /cancelled before it answered/));
});

test('a probe past its timeout rejects as a timeout, unless the caller polls', async () => {
  const ctx = contextWith();
  await assert.rejects(ctx.probe(sh`sleep 5`, { timeoutMs: 200 }), isKind('timeout', /no answer within 200ms: `sleep 5`/));
  const slow = await ctx.probe(sh`sleep 5`, { timeoutMs: 200, timeoutIsAnAnswer: true });
  assert.equal(slow.timedOut, true);
});

test('findCommand: not found only on a not-found status; a killed lookup cannot tell', async () => {
  const shell = await findCommand(contextWith(), 'sh');
  assert.ok(shell.found && /\/sh$/.test(shell.path), JSON.stringify(shell));
  assert.deepEqual(await findCommand(contextWith(), 'no-such-tool-h5'), { found: false, why: 'no-such-tool-h5 is not installed (not found in PATH)' });
  const killed: Transport = {
    ...new LocalTransport(),
    hostName: 'local',
    kind: 'local',
    exec: async (_request: ExecRequest): Promise<ExecResult> => ({ exitCode: null, signal: 'SIGKILL', stdout: '', stderr: '', durationMs: 1, timedOut: false, cancelled: false }),
  } as Transport;
  const lookup = await findCommand(contextWith(undefined, killed), 'crictl');
  assert.deepEqual(lookup, { found: false, why: 'cannot tell whether crictl is installed: `command -v crictl` was killed (SIGKILL)' });
});
