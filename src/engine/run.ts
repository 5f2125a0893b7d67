// The run loop: compile → lock → journal → steps with a barrier each → on failure,
// rollback. Also the entry for resume (same loop, skipping what the journal says is
// done and re-probing what was in flight) and for a later `drbook rollback`.

import { hostname } from 'node:os';
import type { RunInfo } from '../core/action.js';
import { acquireHostLocks, isCleanEnd, lockTargetsOf, type HostLocks } from '../hostlock/index.js';
import { acquireLock } from '../journal/lock.js';
import { JournalWriter } from '../journal/journal.js';
import type { JournalEntry, RunHeader } from '../core/journal-records.js';
import { Masker } from '../shell/masker.js';
import { errorMessage } from '../core/errors.js';
import type { TransportPool } from '../core/transport.js';
import { compileRunbook, type CompiledRunbook } from './compile.js';
import type { RunState } from '../core/events.js';
import type { HostStepEnv } from './host-step.js';
import { RunRecorder } from './recorder.js';
import { afterJournalLine } from './faults.js';
import { rollbackRun, type RollbackOutcome } from './rollback.js';
import { resolveInFlight } from './resume-in-flight.js';
import { replayJournal } from '../journal/replay.js';
import { isFailure, runStep } from './step-runner.js';
import { checkUndoSecrets } from './undo-secrets.js';
import type { RunRequest } from './run-request.js';
import { withTransportPool } from './transport-owner.js';

export type { RunRequest } from './run-request.js';

/** A request whose transports the engine has opened (withTransportPool closes them). */
type OpenRun = RunRequest & { pool: TransportPool };

/**
 * Exit codes, documented in README.md. They say what the hosts are in:
 * 0 done (verified by the runbook's own checks); 1 failed, and the hosts are as before
 * (nothing was changed, or the rollback's checks say every change is reverted);
 * 2 invalid input or refused before any change; 3 changes are or may still be applied
 * (no rollback, a rollback not verified or abandoned, a journal that failed with changes
 * left); 130 interrupted, and the hosts are as before.
 */
export const EXIT = { done: 0, failed: 1, invalid: 2, needsHuman: 3, interrupted: 130 } as const;

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
  // A resumed run may roll back the changes journaled before: their undos' secrets must be at hand.
  if (request.resumeFrom && request.rollbackOnFailure) checkUndoSecrets(request.resumeFrom, compiled.secretsByHost);
  const lock = await acquireLock(request.stateDir, lockTargetsOf(request.hosts, request.stateDir), request.runId);
  try {
    return await withTransportPool(request, (pool) => runLocked({ ...request, pool }, compiled, masker, lock.staleHolders));
  } finally {
    await lock.release();
  }
}

/** The run under its local lock, with its transports open: host locks, journal, steps, end. */
async function runLocked(request: OpenRun, compiled: CompiledRunbook, masker: Masker, staleLocalLocks: HostLockStale): Promise<RunOutcome> {
  const hostNames = request.hosts.map((h) => h.name);
  const started = Date.now();
  let recorder: RunRecorder | undefined;
  let hostLocks: HostLocks | undefined;
  try {
    hostLocks = await lockHosts(request, staleLocalLocks); // refuses before the journal: nothing is changed
    const header = request.resumeFrom ? undefined : runHeader(request, masker);
    const writer = header ? await JournalWriter.create(request.stateDir, header) : await JournalWriter.append(request.stateDir, request.runId);
    recorder = new RunRecorder(writer, request.bus, masker, request.resumeFrom ?? [header!]);
    // The header is journal line 1: DRBOOK_FAULT=kill-after-entry:1 dies here, like every other line's point.
    if (header) afterJournalLine(1);
    // A journal that cannot be written stops the run like an interrupt: no change may
    // start whose intent is not on disk.
    const journalStop = new AbortController();
    recorder.onJournalFailure((error) => journalStop.abort(error));
    const signal = AbortSignal.any([request.interrupt, journalStop.signal]);
    if (request.resumeFrom) await recorder.record({ t: 'resumed', pid: process.pid });
    else await recorder.record({ t: 'plan', steps: compiled.steps.map((c) => ({ id: c.step.id, name: c.step.name, hosts: c.hosts.map((h) => h.host.name) })) });
    await recorder.record(hostLocks.journalEntry());
    recorder.beforeChange = (host, kind) => hostLocks!.markChanged(host, kind);
    recorder.emit({ type: 'run.started', runId: request.runId, runbook: request.runbook.metadata.name, hosts: hostNames, dryRun: false, resumed: !!request.resumeFrom, steps: stepList(compiled) });

    const outcome = await runSteps(request, compiled, recorder, signal, hostLocks).catch((error: unknown) => unexpected(error, request, recorder!));
    await hostLocks.finish(isCleanEnd(outcome)); // markers go only when the hosts are done or (verified) back
    await recorder.record({ t: 'end', state: outcome.state, exitCode: outcome.exitCode, error: outcome.error });
    if (recorder.journalFailure) outcome.error = `${outcome.error ?? ''}\n${await journalNote(recorder, request)}`.trim();
    recorder.emit({ type: 'run.finished', runId: request.runId, state: outcome.state, exitCode: outcome.exitCode, durationMs: Date.now() - started, error: outcome.error });
    return outcome;
  } finally {
    await recorder?.close();
    await hostLocks?.release();
  }
}

/** The run's locks on its hosts (src/hostlock), taken before any change; notices go to the bus. */
function lockHosts(request: OpenRun, staleLocalLocks: HostLockStale): Promise<HostLocks> {
  return acquireHostLocks({
    hosts: request.hosts,
    pool: request.pool,
    stateDir: request.stateDir,
    runId: request.runId,
    runbook: request.runbook.metadata.name,
    startedAt: request.startedAt,
    purpose: request.resumeFrom ? 'resume' : 'run',
    ignoreRuns: request.ignoreRuns,
    journal: request.resumeFrom,
    staleLocalLocks,
    notify: (notice) => request.bus.emit({ type: 'run.notice', ...notice }),
    signal: request.interrupt,
  });
}
type HostLockStale = Parameters<typeof acquireHostLocks>[0]['staleLocalLocks'];

async function runSteps(request: OpenRun, compiled: CompiledRunbook, recorder: RunRecorder, signal: AbortSignal, hostLocks?: HostLocks): Promise<RunOutcome> {
  // Every command a change or an undo runs holds the run's in-flight lock on its host; probes do not need it.
  const run: RunInfo = { ...runInfo(request), guardCommand: hostLocks && ((host, command) => hostLocks.guard(host, command)) };
  const env: HostStepEnv = { run, pool: request.pool, recorder, signal, confirm: request.confirm, nextIndex: nextIndexes(recorder.entries) };
  const hostHeld = hostLocks && ((host: string) => hostLocks.holds(host));
  const probeEnv = { recorder, pool: request.pool, secretsByHost: compiled.secretsByHost, signal, knownHosts: new Set(request.hosts.map((h) => h.name)), hostHeld };

  let failure: string | undefined;
  if (request.resumeFrom) failure = await resolveInFlight(recorder, probeEnv);
  // Verification steps run again on resume: "done" must rest on probes made after the last change.
  // Read after resolveInFlight: a host whose last change it found applied is done.
  const done = doneHostSteps(request.resumeFrom ? recorder.entries : [], new Set(compiled.steps.filter((c) => c.hosts.some((h) => h.action.verifiesOutcome)).map((c) => c.step.id)));
  for (const step of failure ? [] : compiled.steps) {
    const outcome = await runStep(step, env, (host) => done.has(`${step.step.id}/${host}`));
    if (isFailure(outcome.state)) {
      const bad = outcome.hosts.filter((h) => isFailure(h.state) && h.error);
      failure = bad.map((h) => h.error!.describe()).join('\n') || `step ${step.step.id} ${outcome.state}`;
      break;
    }
  }
  const journalFailure = recorder.journalFailure;
  const interrupted = request.interrupt.aborted && !journalFailure;
  if (!failure && !interrupted && !journalFailure) return { runId: request.runId, state: 'done', exitCode: EXIT.done };
  if (journalFailure) failure = `${journalFailure.describe()}\nthe run stopped: no change may start without its intent on disk`;
  failure ??= 'interrupted by the operator';
  const stopped: RunState = interrupted ? 'interrupted' : 'failed';

  // What the hosts are in decides the outcome: nothing changed, everything back (verified), or a human must look.
  const mayBeApplied = replayJournal(recorder.entries).changesToRollBack();
  if (mayBeApplied.length === 0) {
    return { runId: request.runId, state: stopped, exitCode: interrupted ? EXIT.interrupted : EXIT.failed, error: `${failure}\nnothing was changed` };
  }
  const wantRollback = interrupted ? request.onInterrupt === 'rollback' && request.rollbackOnFailure : request.rollbackOnFailure;
  if (!wantRollback) {
    return {
      runId: request.runId,
      state: stopped,
      exitCode: EXIT.needsHuman,
      error: `${failure}\n${mayBeApplied.length} change(s) may still be applied (no rollback): see drbook report ${request.runId}`,
    };
  }
  if (journalFailure) recorder.emit({ type: 'output', stepId: '-', host: '-', stream: 'stderr', text: 'rolling back from the journal held in memory (the file cannot be written)\n' });
  const rollback = await rollbackRun({
    recorder,
    pool: request.pool,
    hosts: new Map(request.hosts.map((h) => [h.name, h])),
    run,
    secretsByHost: compiled.secretsByHost,
    signal: request.abandon ?? new AbortController().signal,
    reason: failure,
    hostHeld,
  });
  if (!rollback.ok) {
    const why = request.abandon?.aborted ? 'the rollback was abandoned (a second signal)' : 'the rollback is not verified complete';
    return { runId: request.runId, state: 'rollback-failed', exitCode: EXIT.needsHuman, rollback, error: `${failure}\n${why}; not back:\n${rollback.left.join('\n')}` };
  }
  // Verified: every change is back. Nothing undone means nothing had happened.
  const state: RunState = interrupted ? 'interrupted' : rollback.undone > 0 ? 'rolled-back' : 'failed';
  const note = rollback.undone > 0 ? '' : '\nnothing was changed (the checks found every change reverted)';
  return { runId: request.runId, state, exitCode: interrupted ? EXIT.interrupted : EXIT.failed, rollback, error: failure + note };
}

/** A bug escaped the run loop: the exit code still says what the hosts may be in. */
function unexpected(error: unknown, request: RunRequest, recorder: RunRecorder): RunOutcome {
  const left = replayJournal(recorder.entries).changesToRollBack().length;
  const message = `internal error: ${errorMessage(error)}`;
  if (left === 0) return { runId: request.runId, state: 'failed', exitCode: EXIT.failed, error: `${message}\nnothing was changed` };
  return { runId: request.runId, state: 'failed', exitCode: EXIT.needsHuman, error: `${message}\n${left} change(s) may still be applied: drbook rollback ${request.runId} probes and undoes them` };
}

/** After a journal failure: what the file holds, and whether what it lacked could be appended. */
async function journalNote(recorder: RunRecorder, request: RunRequest): Promise<string> {
  const problem = await recorder.appendMissing(request.stateDir, request.runId);
  if (!problem) return `the journal could not be written during the run; what it lacked was appended afterwards (${recorder.entries.length} entries)`;
  return `the journal on disk is incomplete: it holds ${recorder.durableCount} of this run's ${recorder.entries.length} entries (${problem}); \`drbook runs\` shows the run as crashed, and \`drbook rollback ${request.runId}\` probes every change it lists`;
}

export function stepList(compiled: CompiledRunbook): Array<{ id: string; name: string }> {
  return compiled.steps.map(({ step }) => ({ id: step.id, name: step.name }));
}

function runInfo(request: RunRequest): RunInfo {
  return { id: request.runId, startedAt: request.startedAt, dryRun: false, stateDir: request.stateDir };
}

function runHeader(request: RunRequest, masker: Masker): RunHeader {
  const secretNames = Object.entries(request.runbook.params)
    .filter(([, spec]) => spec.secret)
    .map(([name]) => name);
  return {
    t: 'run',
    runId: request.runId,
    at: request.startedAt,
    runbook: { file: request.runbook.file, sha256: request.runbook.sha256, name: request.runbook.metadata.name },
    inventory: request.inventory.file && request.inventory.sha256 ? { file: request.inventory.file, sha256: request.inventory.sha256 } : undefined,
    cliParams: Object.fromEntries(
      Object.entries(request.cliParams)
        .filter(([name]) => !secretNames.includes(name))
        .map(([k, v]) => [k, masker.mask(v)]),
    ),
    secretParams: secretNames,
    hosts: request.hosts.map((h) => h.name),
    dryRun: false,
    rollbackOnFailure: request.rollbackOnFailure,
    pid: process.pid,
    machine: hostname(),
  };
}

/** Host-steps the journal shows done or skipped, except the steps that verify the outcome (they run again). */
function doneHostSteps(entries: JournalEntry[], verifying: Set<string>): Set<string> {
  const done = new Set<string>();
  for (const entry of entries) {
    if (entry.t === 'host' && (entry.state === 'done' || entry.state === 'skipped') && !verifying.has(entry.stepId)) done.add(`${entry.stepId}/${entry.host}`);
    // A later state (a resume that failed it) wins.
    else if (entry.t === 'host') done.delete(`${entry.stepId}/${entry.host}`);
  }
  return done;
}

function nextIndexes(entries: JournalEntry[]): Map<string, number> {
  const next = new Map<string, number>();
  for (const entry of entries) if (entry.t === 'intent') next.set(`${entry.stepId}/${entry.host}`, Math.max(next.get(`${entry.stepId}/${entry.host}`) ?? 0, entry.index + 1));
  return next;
}
