// The run loop: compile → lock → journal → steps with a barrier each → on failure,
// rollback. Also the entry for resume (same loop, skipping what the journal says is
// done and re-probing what was in flight) and for a later `drbook rollback`.

import { hostname } from 'node:os';
import type { RunInfo } from '../actions/action.js';
import { acquireHostLocks, isCleanEnd, type HostLocks } from '../hostlock/index.js';
import type { Host, Inventory } from '../inventory/types.js';
import { acquireLock } from '../journal/lock.js';
import { JournalWriter } from '../journal/journal.js';
import type { JournalEntry, RunHeader } from '../journal/records.js';
import type { Runbook } from '../runbook/types.js';
import { Masker } from '../shell/masker.js';
import type { TransportPool } from '../transport/transport.js';
import { compileRunbook, type CompiledRunbook } from './compile.js';
import type { EventBus, RunState } from './events.js';
import type { HostStepEnv } from './host-step.js';
import { RunRecorder } from './recorder.js';
import { rollbackRun, type RollbackOutcome } from './rollback.js';
import { isFailure, runStep } from './step-runner.js';

/** Exit codes, documented in README.md. */
export const EXIT = { done: 0, failed: 1, invalid: 2, needsHuman: 3, interrupted: 130 } as const;

export interface RunRequest {
  runbook: Runbook;
  inventory: Inventory;
  hosts: Host[];
  cliParams: Record<string, string>;
  stateDir: string;
  pool: TransportPool;
  bus: EventBus;
  /** Aborted on SIGINT/SIGTERM. */
  interrupt: AbortSignal;
  /** A second interrupt: abandon the rollback too. */
  abandon?: AbortSignal;
  rollbackOnFailure: boolean;
  onInterrupt: 'rollback' | 'stop';
  confirm: (message: string) => Promise<boolean>;
  runId: string;
  startedAt: string;
  /** Journal of a run being resumed. */
  resumeFrom?: JournalEntry[];
  /** --ignore-run: go ahead although these runs left unfinished changes on the hosts (journaled). */
  ignoreRuns?: string[];
}

export interface RunOutcome {
  runId: string;
  state: RunState;
  exitCode: number;
  rollback?: RollbackOutcome;
  error?: string;
}

export function compileForRun(request: Pick<RunRequest, 'runbook' | 'hosts' | 'cliParams' | 'runId' | 'startedAt'>, masker: Masker): CompiledRunbook {
  return compileRunbook({
    runbook: request.runbook,
    hosts: request.hosts,
    cliParams: request.cliParams,
    run: { id: request.runId, startedAt: request.startedAt },
    masker,
  });
}

export async function executeRun(request: RunRequest): Promise<RunOutcome> {
  const masker = new Masker();
  const compiled = compileForRun(request, masker); // InputError: nothing touched yet
  const hostNames = request.hosts.map((h) => h.name);
  const lock = await acquireLock(request.stateDir, hostNames, request.runId);
  const started = Date.now();
  let recorder: RunRecorder | undefined;
  let hostLocks: HostLocks | undefined;
  try {
    hostLocks = await lockHosts(request, lock.staleHolders); // refuses before the journal: nothing is changed
    const header = request.resumeFrom ? undefined : runHeader(request, masker);
    const writer = header ? await JournalWriter.create(request.stateDir, header) : await JournalWriter.append(request.stateDir, request.runId);
    recorder = new RunRecorder(writer, request.bus, masker, request.resumeFrom ?? [header!]);
    if (request.resumeFrom) await recorder.record({ t: 'resumed', pid: process.pid });
    else await recorder.record({ t: 'plan', steps: compiled.steps.map((c) => ({ id: c.step.id, name: c.step.name, hosts: c.hosts.map((h) => h.host.name) })) });
    await recorder.record(hostLocks.journalEntry());
    recorder.beforeChange = (host, kind) => hostLocks!.markChanged(host, kind);
    recorder.emit({ type: 'run.started', runId: request.runId, runbook: request.runbook.metadata.name, hosts: hostNames, dryRun: false, resumed: !!request.resumeFrom, steps: stepList(compiled) });

    const outcome = await runSteps(request, compiled, recorder, hostLocks);
    await hostLocks.finish(isCleanEnd(outcome)); // markers go only when the hosts are done or back
    await recorder.record({ t: 'end', state: outcome.state, exitCode: outcome.exitCode, error: outcome.error });
    recorder.emit({ type: 'run.finished', runId: request.runId, state: outcome.state, exitCode: outcome.exitCode, durationMs: Date.now() - started, error: outcome.error });
    return outcome;
  } finally {
    await recorder?.close();
    await hostLocks?.release();
    await request.pool.closeAll().catch(() => undefined);
    await lock.release();
  }
}

/** The run's locks on its hosts (src/hostlock), taken before any change; notices go to the bus. */
function lockHosts(request: RunRequest, staleLocalLocks: HostLockStale): Promise<HostLocks> {
  return acquireHostLocks({
    hosts: request.hosts,
    pool: request.pool,
    stateDir: request.stateDir,
    runId: request.runId,
    runbook: request.runbook.metadata.name,
    startedAt: request.startedAt,
    purpose: request.resumeFrom ? 'resume' : 'run',
    ignoreRuns: request.ignoreRuns,
    staleLocalLocks,
    notify: (notice) => request.bus.emit({ type: 'run.notice', ...notice }),
    signal: request.interrupt,
  });
}
type HostLockStale = Parameters<typeof acquireHostLocks>[0]['staleLocalLocks'];

async function runSteps(request: RunRequest, compiled: CompiledRunbook, recorder: RunRecorder, hostLocks?: HostLocks): Promise<RunOutcome> {
  const run: RunInfo = { ...runInfo(request), guardCommand: hostLocks && ((host, command) => hostLocks.guard(host, command)) };
  const env: HostStepEnv = { run, pool: request.pool, recorder, signal: request.interrupt, confirm: request.confirm, nextIndex: nextIndexes(recorder.entries) };
  const done = doneHostSteps(request.resumeFrom ?? []);

  let failure: string | undefined;
  for (const step of compiled.steps) {
    const outcome = await runStep(step, env, (host) => done.has(`${step.step.id}/${host}`));
    if (isFailure(outcome.state)) {
      const bad = outcome.hosts.filter((h) => isFailure(h.state) && h.error);
      failure = bad.map((h) => h.error!.describe()).join('\n') || `step ${step.step.id} ${outcome.state}`;
      break;
    }
  }
  const interrupted = request.interrupt.aborted;
  if (!failure && !interrupted) return { runId: request.runId, state: 'done', exitCode: EXIT.done };
  failure ??= 'interrupted by the operator';

  const wantRollback = interrupted ? request.onInterrupt === 'rollback' && request.rollbackOnFailure : request.rollbackOnFailure;
  if (!wantRollback) {
    const left = changesLeft(recorder.entries);
    const exitCode = interrupted ? EXIT.interrupted : left ? EXIT.needsHuman : EXIT.failed;
    return { runId: request.runId, state: interrupted ? 'interrupted' : 'failed', exitCode, error: failure };
  }
  const rollback = await rollbackRun({
    recorder,
    pool: request.pool,
    hosts: new Map(request.hosts.map((h) => [h.name, h])),
    run,
    secretsByHost: compiled.secretsByHost,
    signal: request.abandon ?? new AbortController().signal,
    reason: failure,
  });
  const state: RunState = rollback.ok ? (interrupted ? 'interrupted' : 'rolled-back') : 'rollback-failed';
  const exitCode = !rollback.ok ? EXIT.needsHuman : interrupted ? EXIT.interrupted : EXIT.failed;
  return { runId: request.runId, state, exitCode, rollback, error: failure };
}

export function stepList(compiled: CompiledRunbook): Array<{ id: string; name: string }> {
  return compiled.steps.map(({ step }) => ({ id: step.id, name: step.name }));
}

function runInfo(request: RunRequest): RunInfo {
  return { id: request.runId, startedAt: request.startedAt, dryRun: false, stateDir: request.stateDir };
}

function runHeader(request: RunRequest, masker: Masker): RunHeader {
  const secretNames = Object.entries(request.runbook.params).filter(([, spec]) => spec.secret).map(([name]) => name);
  return {
    t: 'run',
    runId: request.runId,
    at: request.startedAt,
    runbook: { file: request.runbook.file, sha256: request.runbook.sha256, name: request.runbook.metadata.name },
    inventory: request.inventory.file && request.inventory.sha256 ? { file: request.inventory.file, sha256: request.inventory.sha256 } : undefined,
    cliParams: Object.fromEntries(Object.entries(request.cliParams).filter(([name]) => !secretNames.includes(name)).map(([k, v]) => [k, masker.mask(v)])),
    secretParams: secretNames,
    hosts: request.hosts.map((h) => h.name),
    dryRun: false,
    rollbackOnFailure: request.rollbackOnFailure,
    pid: process.pid,
    machine: hostname(),
  };
}

function doneHostSteps(entries: JournalEntry[]): Set<string> {
  const done = new Set<string>();
  for (const entry of entries) if (entry.t === 'host' && (entry.state === 'done' || entry.state === 'skipped')) done.add(`${entry.stepId}/${entry.host}`);
  return done;
}

function nextIndexes(entries: JournalEntry[]): Map<string, number> {
  const next = new Map<string, number>();
  for (const entry of entries) if (entry.t === 'intent') next.set(`${entry.stepId}/${entry.host}`, Math.max(next.get(`${entry.stepId}/${entry.host}`) ?? 0, entry.index + 1));
  return next;
}

/** True when some completed change is still applied (nothing was rolled back). */
function changesLeft(entries: JournalEntry[]): boolean {
  return entries.some((e) => e.t === 'result' && e.ok && !entries.some((i) => i.t === 'intent' && i.stepId === e.stepId && i.host === e.host && i.index === e.index && i.readOnly));
}

