// `drbook plan` (= `drbook run --dry-run`): the run's own pipeline stopped before apply
// (pyinfra's --dry). Every step goes through the step runner in plan mode — the same
// probes under the same step timeout, the same cross-host phase and refusals — with
// the rendered commands (secrets masked) and what the probes found. Nothing is changed
// anywhere: no journal, no lock, no change applied; a sound host-step is `planned`.
// An action that cannot simulate is reported as "not simulated", never guessed.
//
// Later steps are planned although the earlier ones were not applied: every step is
// planned in turn (also after a step whose plan fails), with `run.dryRun` set, and an
// action whose input an earlier step makes (the restored dir, the copied snapshot)
// says so in its plan ("unless an earlier step puts it there", a move with no check
// yet) instead of refusing.

import type { RunInfo } from '../core/action.js';
import { inspectHostLocks } from '../hostlock/index.js';
import { Masker } from '../shell/masker.js';
import type { HostStepEnv } from './host-step.js';
import { RunRecorder } from './recorder.js';
import { compileForRun, EXIT, stepList } from './run.js';
import type { RunRequest } from './run-request.js';
import { withTransportPool } from './transport-owner.js';
import { runStep } from './step-runner.js';

export interface PlanOutcome {
  runId: string;
  exitCode: number;
  /** Problems found by the probes: the run would fail. */
  problems: string[];
  /** Changes that have no undo (not counting read-only ones). */
  irreversible: string[];
  notSimulated: string[];
}

export type PlanRequest = Omit<RunRequest, 'rollbackOnFailure' | 'onInterrupt' | 'resumeFrom' | 'abandon'>;

export async function executePlan(request: PlanRequest): Promise<PlanOutcome> {
  const masker = new Masker();
  const compiled = compileForRun(request, masker);
  const recorder = new RunRecorder(undefined, request.bus, masker);
  const outcome: PlanOutcome = { runId: request.runId, exitCode: EXIT.done, problems: [], irreversible: [], notSimulated: [] };
  const started = Date.now();
  recorder.emit({ type: 'run.started', runId: request.runId, runbook: request.runbook.metadata.name, hosts: request.hosts.map((h) => h.name), dryRun: true, steps: stepList(compiled) });
  await withTransportPool(request, async (pool) => {
    const run: RunInfo = { id: request.runId, startedAt: request.startedAt, dryRun: true, stateDir: request.stateDir };
    const env: HostStepEnv = { run, pool, recorder, signal: request.interrupt, confirm: async () => true, nextIndex: new Map() };
    // What the real run would meet on the hosts: a lock held, markers of unfinished runs (read-only).
    const locks = await inspectHostLocks({ hosts: request.hosts, pool, stateDir: request.stateDir, runId: request.runId, ignoreRuns: request.ignoreRuns, signal: request.interrupt });
    for (const problem of locks.problems) {
      outcome.problems.push(problem.message);
      recorder.emit({ type: 'run.notice', level: 'error', host: problem.host, message: problem.message });
    }
    for (const note of locks.notes) recorder.emit({ type: 'run.notice', level: 'info', ...note });
    for (const compiledStep of compiled.steps) {
      if (request.interrupt.aborted) break;
      const step = await runStep(compiledStep, env, () => false, 'plan');
      for (const [i, host] of step.hosts.entries()) {
        const where = `${host.host}: step ${compiledStep.step.id}`;
        for (const problem of host.problems ?? []) outcome.problems.push(`${where}: ${problem}`);
        if (!host.plan) continue;
        if (!(compiledStep.hosts[i]!.action.canSimulate && host.plan.simulated)) outcome.notSimulated.push(where);
        for (const c of host.plan.changes) if (!c.undo && !c.readOnly) outcome.irreversible.push(`${where}: ${c.description}`);
      }
    }
  });
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
