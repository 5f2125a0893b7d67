// `drbook rehearse`: the answer to "will this snapshot and this runbook really
// restore?". A throw-away sandbox is built, the runbook runs against it for real with
// the snapshot, its own verification steps check the result, the timings are
// reported, and the sandbox is torn down (unless kept).
// A rehearsal of several masters goes over SSH by default: every node gets its own sshd
// on its own address and the runbook reaches it through drbook's SSH transport with
// strict host keys, one connection per host — the path a real multi-master restore
// takes. `transport: 'local'` opts out (faster, but the SSH path is then not rehearsed);
// `transport: 'ssh'` rehearses SSH on a single master too.

import { join, resolve } from 'node:path';
import { access } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newRunId } from '../journal/state-dir.js';
import type { Runbook } from '../runbook/types.js';
import { sandboxDown, sandboxUp } from '@drbook/sandbox';
import { rethrowAsDrbookError } from './sandbox-errors.js';
import { runOnSandbox } from './sandbox-run.js';
import type { RunTimings } from './timings.js';

export interface RehearseRequest {
  runbookFile: string;
  /** The runbook of runbookFile, loaded (and so validated) by the caller before any sandbox exists. */
  runbook: Runbook;
  snapshot: string;
  params: Record<string, string>;
  nodes: number;
  ipPrefix?: string;
  /** How the runbook reaches the nodes; default: 'ssh' when nodes > 1, else 'local'. */
  transport?: 'ssh' | 'local';
  /** Port of every node's sshd (SSH rehearsals; default as `sandbox up --ssh`). */
  sshPort?: number;
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
  /** True when the runbook reached the nodes over SSH. */
  overSsh: boolean;
}

/** SSH whenever the runbook targets several masters, unless told otherwise. */
/**
 * How many masters a rehearsal builds when --nodes is not given: a runbook that runs on
 * the master itself (`targets: local`) gets one; a runbook aimed at a group of masters
 * gets three, the smallest control plane that keeps quorum with one member down, so
 * the multi-host path (over SSH) is what gets rehearsed.
 */
export function defaultRehearsalNodes(runbook: Pick<Runbook, 'targets'>): number {
  return runbook.targets === 'local' ? 1 : 3;
}

export function rehearsalTransport(nodes: number, requested?: 'ssh' | 'local'): 'ssh' | 'local' {
  return requested ?? (nodes > 1 ? 'ssh' : 'local');
}

export async function rehearse(request: RehearseRequest): Promise<RehearseOutcome> {
  const { runbook } = request;
  if (!runbook.params.snapshot) throw new InputError(`${request.runbookFile}: a rehearsal gives the snapshot as the parameter \`snapshot\`, which this runbook does not declare`);
  const snapshot = await absoluteReadable(request.snapshot);
  const dir = request.dir ?? join(request.stateDir, 'rehearsals', newRunId());
  const overSsh = rehearsalTransport(request.nodes, request.transport) === 'ssh';
  const how = overSsh ? 'nodes reached over SSH, one sshd per node' : 'nodes reached locally';
  request.say(`rehearsal: building a ${request.nodes}-node sandbox in ${dir} (${how})`);
  const sandbox = await sandboxUp({
    dir,
    nodes: request.nodes,
    ipPrefix: request.ipPrefix,
    ssh: overSsh,
    sshPort: overSsh ? request.sshPort : undefined,
    onProgress: (m) => request.say(`sandbox: ${m}`),
  }).catch(rethrowAsDrbookError);
  try {
    request.say(`rehearsal: running ${request.runbookFile} against the sandbox with ${snapshot}`);
    const { outcome, timings } = await runOnSandbox({
      runbook,
      sandbox,
      params: { ...request.params, snapshot },
      stateDir: request.stateDir,
      bus: request.bus,
      interrupt: request.interrupt,
      abandon: request.abandon,
    });
    return { exitCode: outcome.exitCode, runId: outcome.runId, state: outcome.state, timings, sandboxDir: dir, kept: request.keep, overSsh };
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
