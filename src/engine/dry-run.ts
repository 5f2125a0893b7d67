// Dry-run: the whole plan, per step and host, with the rendered commands (secrets
// masked) and what the read-only probes found. Nothing is changed anywhere: no
// journal, no lock, no change applied. An action that cannot simulate is reported
// as "not simulated", never guessed. The outcome says whether the run would fail.

import type { RunInfo } from '../core/action.js';
import { DrbookError, errorMessage } from '../core/errors.js';
import { inspectHostLocks } from '../hostlock/index.js';
import { Masker } from '../shell/masker.js';
import type { EventBus } from '../core/events.js';
import { planAcrossHosts, planHostStep, type HostStepEnv } from './host-step.js';
import { RunRecorder } from './recorder.js';
import { compileForRun, EXIT, stepList, type RunRequest } from './run.js';

export interface DryRunOutcome {
  runId: string;
  exitCode: number;
  /** Problems found by the probes: the run would fail. */
  problems: string[];
  /** Changes that have no undo (not counting read-only ones). */
  irreversible: string[];
  notSimulated: string[];
}

export async function executeDryRun(request: Omit<RunRequest, 'rollbackOnFailure' | 'onInterrupt' | 'resumeFrom'>): Promise<DryRunOutcome> {
  const masker = new Masker();
  const compiled = compileForRun(request, masker);
  const recorder = new RunRecorder(undefined, request.bus as EventBus, masker);
  const run: RunInfo = { id: request.runId, startedAt: request.startedAt, dryRun: true, stateDir: request.stateDir };
  const env: HostStepEnv = { run, pool: request.pool, recorder, signal: request.interrupt, confirm: async () => true, nextIndex: new Map() };
  const outcome: DryRunOutcome = { runId: request.runId, exitCode: EXIT.done, problems: [], irreversible: [], notSimulated: [] };
  const started = Date.now();
  recorder.emit({ type: 'run.started', runId: request.runId, runbook: request.runbook.metadata.name, hosts: request.hosts.map((h) => h.name), dryRun: true, steps: stepList(compiled) });
  try {
    // What the real run would meet on the hosts: a lock held, markers of unfinished runs (read-only).
    const locks = await inspectHostLocks({ hosts: request.hosts, pool: request.pool, stateDir: request.stateDir, runId: request.runId, ignoreRuns: request.ignoreRuns, signal: request.interrupt });
    for (const problem of locks.problems) {
      outcome.problems.push(problem.message);
      recorder.emit({ type: 'run.notice', level: 'error', host: problem.host, message: problem.message });
    }
    for (const note of locks.notes) recorder.emit({ type: 'run.notice', level: 'info', ...note });
    for (const { step, hosts } of compiled.steps) {
      const stepStarted = Date.now();
      recorder.emit({ type: 'step.started', stepId: step.id, name: step.name, action: step.uses, hosts: hosts.map((h) => h.host.name) });
      let shared: unknown;
      try {
        const across = await planAcrossHosts(hosts.filter((h) => h.enabled), env, request.interrupt);
        shared = across.shared;
        for (const [host, error] of across.errors) outcome.problems.push(`${host}: step ${step.id}: ${error.message}`);
      } catch (error) {
        outcome.problems.push(`step ${step.id}: ${errorMessage(error)}`);
      }
      await Promise.all(
        hosts.map(async (hostStep) => {
          const where = `${hostStep.host.name}: step ${step.id}`;
          if (!hostStep.enabled) {
            recorder.emit({ type: 'host.finished', stepId: step.id, host: hostStep.host.name, state: 'skipped', durationMs: 0 });
            return;
          }
          const hostStarted = Date.now();
          recorder.emit({ type: 'host.started', stepId: step.id, host: hostStep.host.name, attempt: 1 });
          try {
            const plan = await planHostStep(hostStep, env, request.interrupt, shared);
            for (const f of plan.findings) if (f.level === 'error') outcome.problems.push(`${where}: ${f.message}`);
            if (!(hostStep.action.canSimulate && plan.simulated)) outcome.notSimulated.push(where);
            for (const c of plan.changes) if (!c.undo && !c.readOnly) outcome.irreversible.push(`${where}: ${c.description}`);
            const failed = plan.findings.some((f) => f.level === 'error');
            recorder.emit({ type: 'host.finished', stepId: step.id, host: hostStep.host.name, state: failed ? 'failed' : 'done', durationMs: Date.now() - hostStarted });
          } catch (error) {
            const message = error instanceof DrbookError ? error.message : errorMessage(error);
            outcome.problems.push(`${where}: ${message}`);
            const state = error instanceof DrbookError && error.kind === 'unreachable' ? 'unreachable' : 'failed';
            recorder.emit({ type: 'host.finished', stepId: step.id, host: hostStep.host.name, state, durationMs: Date.now() - hostStarted, error: message });
          }
        }),
      );
      recorder.emit({ type: 'step.finished', stepId: step.id, state: 'done', durationMs: Date.now() - stepStarted });
    }
  } finally {
    // Closing is best-effort: the plan is decided; a failed close leaves only a dead connection.
    await request.pool.closeAll().catch(() => undefined);
  }
  if (request.interrupt.aborted) outcome.exitCode = EXIT.interrupted;
  else if (outcome.problems.length) outcome.exitCode = EXIT.failed;
  recorder.emit({
    type: 'run.finished',
    runId: request.runId,
    state: 'planned',
    exitCode: outcome.exitCode,
    durationMs: Date.now() - started,
    error: outcome.problems.length ? `the probes show the run would fail:\n${outcome.problems.join('\n')}` : undefined,
  });
  return outcome;
}
