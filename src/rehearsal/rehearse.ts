// `drbook rehearse`: the answer to "will this snapshot and this runbook really
// restore?". A throw-away sandbox is built, the runbook runs against it for real with
// the snapshot, its own verification steps check the result, the timings are
// reported, and the sandbox is torn down (unless kept).

import { join, resolve } from 'node:path';
import { access } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { EventBus } from '../engine/events.js';
import { newRunId } from '../journal/state-dir.js';
import { loadRunbook } from '../runbook/load.js';
import { sandboxDown, sandboxUp } from '../sandbox/lifecycle.js';
import { runOnSandbox } from './sandbox-run.js';
import type { RunTimings } from './timings.js';

export interface RehearseRequest {
  runbookFile: string;
  snapshot: string;
  params: Record<string, string>;
  nodes: number;
  ipPrefix?: string;
  /** Sandbox folder; default <stateDir>/rehearsals/<id>. */
  dir?: string;
  keep: boolean;
  stateDir: string;
  bus: EventBus;
  say: (text: string) => void;
  interrupt: AbortSignal;
  abandon?: AbortSignal;
}

export interface RehearseOutcome {
  exitCode: number;
  runId: string;
  state: string;
  timings: RunTimings;
  sandboxDir: string;
  kept: boolean;
}

export async function rehearse(request: RehearseRequest): Promise<RehearseOutcome> {
  const runbook = await loadRunbook(request.runbookFile); // invalid input fails before any sandbox exists
  if (!runbook.params.snapshot) throw new InputError(`${request.runbookFile}: a rehearsal gives the snapshot as the parameter \`snapshot\`, which this runbook does not declare`);
  const snapshot = await absoluteReadable(request.snapshot);
  const dir = request.dir ?? join(request.stateDir, 'rehearsals', newRunId());
  request.say(`rehearsal: building a ${request.nodes}-node sandbox in ${dir}`);
  const sandbox = await sandboxUp({ dir, nodes: request.nodes, ipPrefix: request.ipPrefix, onProgress: (m) => request.say(`sandbox: ${m}`) });
  try {
    request.say(`rehearsal: running ${request.runbookFile} against the sandbox with ${snapshot}`);
    const { outcome, timings } = await runOnSandbox({ runbook, sandbox, params: { ...request.params, snapshot }, stateDir: request.stateDir, bus: request.bus, interrupt: request.interrupt, abandon: request.abandon });
    return { exitCode: outcome.exitCode, runId: outcome.runId, state: outcome.state, timings, sandboxDir: dir, kept: request.keep };
  } finally {
    if (!request.keep) await sandboxDown({ dir }).catch((error) => request.say(`warning: could not tear the sandbox down: ${(error as Error).message}; run drbook sandbox down --dir ${dir}`));
  }
}

async function absoluteReadable(file: string): Promise<string> {
  const path = resolve(file);
  try {
    await access(path);
  } catch {
    throw new InputError(`--snapshot ${file}: no such file`);
  }
  return path;
}
