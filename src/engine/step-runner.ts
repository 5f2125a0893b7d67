// Runs one step across its hosts (Ansible's linear strategy): plan on every host
// first, and apply only when every plan is sound; then apply on all hosts in parallel
// (or `serial` at a time). The caller waits for the whole step: a barrier, so no host
// starts step N+1 before every host has finished step N.
// In plan mode (drbook plan, pyinfra's --dry) the same code plans the step — the same
// probes under the same step timeout, the same cross-host phase and refusals — and stops
// before apply: nothing is applied or journaled, and a host whose plan is sound is
// `planned`, never `done`.

import type { ActionPlan } from '../core/action.js';
import { DrbookError, errorMessage } from '../core/errors.js';
import type { StepState } from '../core/events.js';
import type { CompiledStep, HostStep } from './compile.js';
import { mapWithLimit } from './concurrency.js';
import { sleep } from '@drbook/system';
import { applyPlan, planAcrossHosts, planHostStep, planProblem, type HostStepEnv } from './host-step.js';
import type { NewJournalEntry } from './recorder.js';

/** apply: plan, then apply (a run); plan: plan only, nothing applied (drbook plan). */
export type StepMode = 'apply' | 'plan';

export interface HostOutcome {
  host: string;
  state: StepState;
  error?: DrbookError;
  /** The host's plan, when one was made (in plan mode also when it holds errors). */
  plan?: ActionPlan;
  /** Plan mode: what would make the run fail on this host, one line each (cross-host errors, error findings, a failed probe). */
  problems?: string[];
}

export interface StepOutcome {
  state: StepState;
  hosts: HostOutcome[];
}

export async function runStep(compiled: CompiledStep, env: HostStepEnv, alreadyDone: (host: string) => boolean, mode: StepMode = 'apply'): Promise<StepOutcome> {
  const { step } = compiled;
  const started = Date.now();
  const journal = (entry: NewJournalEntry) => (mode === 'apply' ? env.recorder.record(entry) : Promise.resolve());
  env.recorder.emit({ type: 'step.started', stepId: step.id, name: step.name, action: step.uses, hosts: compiled.hosts.map((h) => h.host.name) });
  await journal({ t: 'step', stepId: step.id, state: 'running' });

  const outcomes = new Map<string, HostOutcome>();
  const finish = (hostStep: HostStep, state: StepState, durationMs: number, error?: unknown, extra?: Pick<HostOutcome, 'plan' | 'problems'>) =>
    finishHost(hostStep, env, journal, state, durationMs, outcomes, error, extra);
  const active: HostStep[] = [];
  for (const hostStep of compiled.hosts) {
    const name = hostStep.host.name;
    if (alreadyDone(name)) outcomes.set(name, { host: name, state: 'done' });
    else if (!hostStep.enabled) await finish(hostStep, 'skipped', 0);
    else active.push(hostStep);
  }

  // What the hosts must agree on (all of the step's hosts, also those done before a resume).
  // A run stops the step at a cross-host error; a plan still plans every host, to show all it can.
  let shared: unknown;
  const crossErrors = new Map<string, DrbookError>();
  if (active.length > 0) {
    try {
      const across = await planAcrossHosts(
        compiled.hosts.filter((h) => h.enabled),
        env,
        env.signal,
      );
      shared = across.shared;
      for (const hostStep of active) {
        const error = across.errors.get(hostStep.host.name);
        if (error) crossErrors.set(hostStep.host.name, error);
      }
    } catch (error) {
      for (const hostStep of active) crossErrors.set(hostStep.host.name, asDrbookError(error, hostStep));
    }
    if (mode === 'apply')
      for (const hostStep of active)
        if (crossErrors.has(hostStep.host.name)) await finish(hostStep, stateOf(crossErrors.get(hostStep.host.name)), Date.now() - started, crossErrors.get(hostStep.host.name));
  }

  // Plan everywhere before changing anything anywhere.
  const plans = new Map<string, ActionPlan>();
  const crossHostFailure = mode === 'apply' && crossErrors.size > 0;
  await Promise.all(
    (crossHostFailure ? [] : active).map(async (hostStep) => {
      const name = hostStep.host.name;
      env.recorder.emit({ type: 'host.started', stepId: step.id, host: name, attempt: 1 });
      let plan: ActionPlan | undefined;
      try {
        plan = await withStepTimeout(hostStep, env, (signal) => planHostStep(hostStep, env, signal, shared));
        const problem = crossErrors.get(name) ?? planProblem(hostStep, plan);
        if (problem) {
          const errorLines = plan.findings.filter((f) => f.level === 'error').map((f) => f.message);
          const problems = [...(crossErrors.has(name) ? [crossErrors.get(name)!.message] : []), ...errorLines];
          await finish(hostStep, stateOf(problem), Date.now() - started, problem, { plan, problems });
        } else plans.set(name, plan);
      } catch (error) {
        await finish(hostStep, stateOf(error), Date.now() - started, error, { plan, problems: [asDrbookError(error, hostStep).message] });
      }
    }),
  );

  if (mode === 'plan') {
    // Stopped before apply: a sound plan is what the run would do here.
    for (const hostStep of active) if (!outcomes.has(hostStep.host.name)) await finish(hostStep, 'planned', Date.now() - started, undefined, { plan: plans.get(hostStep.host.name) });
  } else if (outcomes.size === compiled.hosts.length || [...outcomes.values()].some((o) => isFailure(o.state))) {
    // Some plan failed: apply nowhere. Hosts whose plans were fine did nothing in this step.
    for (const hostStep of active) if (!outcomes.has(hostStep.host.name)) await finish(hostStep, 'cancelled', 0);
  } else {
    await mapWithLimit(active, step.serial ?? active.length, async (hostStep) => {
      const hostStarted = Date.now();
      try {
        await applyWithRetries(hostStep, plans.get(hostStep.host.name)!, env, shared);
        await finish(hostStep, 'done', Date.now() - hostStarted);
      } catch (error) {
        await finish(hostStep, stateOf(error), Date.now() - hostStarted, error);
      }
    });
  }

  const hosts = compiled.hosts.map((h) => outcomes.get(h.host.name)!);
  const state = worstState(hosts.map((o) => o.state));
  await journal({ t: 'step', stepId: step.id, state });
  env.recorder.emit({ type: 'step.finished', stepId: step.id, state, durationMs: Date.now() - started });
  return { state, hosts };
}

/** How often a lost connection is re-established and the host re-probed within one step. */
const REPROBES_AFTER_UNREACHABLE = 2;

/**
 * First attempt uses the plan made at the barrier; a retry re-plans (probes again) first.
 * A lost connection is not a failure: its outcome is unknown, so the host is reached
 * again and re-probed, and what the new plan still holds is applied (idempotent plans
 * make this safe); only when it cannot be reached again does the step fail as unreachable.
 */
async function applyWithRetries(hostStep: HostStep, firstPlan: ActionPlan, env: HostStepEnv, shared: unknown): Promise<void> {
  const { step, host } = hostStep;
  let replan = false;
  let reprobes = 0;
  for (let attempt = 1; ;) {
    try {
      await withStepTimeout(hostStep, env, async (signal) => {
        const plan = replan ? await planHostStep(hostStep, env, signal, shared) : firstPlan;
        const problem = planProblem(hostStep, plan);
        if (problem) throw problem;
        await applyPlan(hostStep, plan, env, signal);
      });
      return;
    } catch (error) {
      replan = true;
      const say = (text: string) => env.recorder.emit({ type: 'output', stepId: step.id, host: host.name, stream: 'stderr', text: `${text}\n` });
      if (env.signal.aborted) throw error;
      if (isUnreachable(error) && reprobes < REPROBES_AFTER_UNREACHABLE) {
        reprobes++;
        say(`${errorMessage(error)}; reconnecting and re-probing (${reprobes}/${REPROBES_AFTER_UNREACHABLE})`);
        continue;
      }
      if (attempt > step.retries) throw error;
      say(`attempt ${attempt} failed: ${errorMessage(error)}; retrying in ${step.retryDelayMs} ms`);
      await sleep(step.retryDelayMs, env.signal);
      attempt++;
      env.recorder.emit({ type: 'host.started', stepId: step.id, host: host.name, attempt });
    }
  }
}

function isUnreachable(error: unknown): boolean {
  return error instanceof DrbookError && error.kind === 'unreachable';
}

/** Runs `work` with a signal that aborts on the run's interrupt or when the step's timeout passes. */
async function withStepTimeout<T>(hostStep: HostStep, env: HostStepEnv, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { step, host } = hostStep;
  const controller = new AbortController();
  const place = { host: host.name, step: step.id };
  // The run stops for the operator's signal, or because its journal cannot be written (then the reason says so).
  const onInterrupt = () =>
    controller.abort(
      env.signal.reason instanceof DrbookError ? new DrbookError(env.signal.reason.kind, env.signal.reason.message, place) : new DrbookError('cancelled', 'interrupted by the operator', place),
    );
  if (env.signal.aborted) onInterrupt();
  env.signal.addEventListener('abort', onInterrupt, { once: true });
  const timer = step.timeoutMs
    ? setTimeout(() => controller.abort(new DrbookError('timeout', `the step ran past its timeout of ${formatMs(step.timeoutMs!)}; its commands were killed`, place)), step.timeoutMs)
    : undefined;
  try {
    const result = await work(controller.signal);
    controller.signal.throwIfAborted();
    return result;
  } catch (error) {
    throw controller.signal.aborted && controller.signal.reason instanceof DrbookError ? controller.signal.reason : error;
  } finally {
    if (timer) clearTimeout(timer);
    env.signal.removeEventListener('abort', onInterrupt);
  }
}

async function finishHost(
  hostStep: HostStep,
  env: HostStepEnv,
  journal: (entry: NewJournalEntry) => Promise<void>,
  state: StepState,
  durationMs: number,
  outcomes: Map<string, HostOutcome>,
  error?: unknown,
  extra: Pick<HostOutcome, 'plan' | 'problems'> = {},
): Promise<void> {
  const { step, host } = hostStep;
  const failure = error === undefined ? undefined : asDrbookError(error, hostStep);
  outcomes.set(host.name, { host: host.name, state, ...(failure ? { error: failure } : {}), ...extra });
  await journal({ t: 'host', stepId: step.id, host: host.name, state, error: failure?.message });
  env.recorder.emit({ type: 'host.finished', stepId: step.id, host: host.name, state, durationMs, error: failure?.message });
}

function asDrbookError(error: unknown, hostStep: HostStep): DrbookError {
  if (error instanceof DrbookError) return error;
  return new DrbookError('step', errorMessage(error), { host: hostStep.host.name, step: hostStep.step.id, cause: error });
}

function stateOf(error: unknown): StepState {
  if (isUnreachable(error)) return 'unreachable';
  if (error instanceof DrbookError && error.kind === 'cancelled') return 'cancelled';
  return 'failed';
}

/** failed > unreachable > cancelled > planned > done > skipped: what the step as a whole is. */
function worstState(states: StepState[]): StepState {
  for (const state of ['failed', 'unreachable', 'cancelled', 'planned', 'done'] as const) if (states.includes(state)) return state;
  return 'skipped';
}

export function isFailure(state: StepState): boolean {
  return state === 'failed' || state === 'unreachable' || state === 'cancelled';
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}
