// Running a runbook for real against a sandbox: its inventory, every master as a
// target, the operator's answers given (--yes). Shared by `rehearse` and `demo`.

import { executeRun, type RunOutcome } from '../engine/run.js';
import { buildRunRequest } from '../engine/run-request.js';
import type { EventBus } from '../core/events.js';
import { loadInventory } from '../inventory/load.js';
import { resolveTargets } from '../inventory/targets.js';
import type { Runbook } from '../runbook/types.js';
import type { SandboxInfo } from '@drbook/sandbox';
import { recordTimings, type RunTimings } from './timings.js';

export interface SandboxRunRequest {
  runbook: Runbook;
  sandbox: SandboxInfo;
  params: Record<string, string>;
  stateDir: string;
  bus: EventBus;
  interrupt: AbortSignal;
  abandon?: AbortSignal;
}

export async function runOnSandbox(request: SandboxRunRequest): Promise<{ outcome: RunOutcome; timings: RunTimings }> {
  const inventory = await loadInventory(request.sandbox.inventory);
  const hosts = resolveTargets(inventory, 'masters');
  const timings = recordTimings(request.bus);
  const outcome = await executeRun(
    buildRunRequest({
      runbook: request.runbook,
      inventory,
      hosts,
      cliParams: { ...membersParam(request.runbook, hosts.length), ...request.params },
      stateDir: request.stateDir,
      bus: request.bus,
      interrupt: request.interrupt,
      abandon: request.abandon,
      confirm: async () => true, // the operator's answers are given (--yes): a sandbox is thrown away
    }),
  );
  return { outcome, timings: timings() };
}

/** A runbook that declares `expectedMembers` is told how many masters the sandbox has. */
function membersParam(runbook: Runbook, count: number): Record<string, string> {
  return runbook.params.expectedMembers ? { expectedMembers: String(count) } : {};
}
