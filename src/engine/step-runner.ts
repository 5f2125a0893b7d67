// Runs one step across its hosts (Ansible's linear strategy): plan on every host
// first, and apply only when every plan is sound; then apply on all hosts in parallel
// (or `serial` at a time). The caller waits for the whole step: a barrier, so no host
// starts step N+1 before every host has finished step N.

import type { ActionPlan } from '../actions/action.js';
import { DrbookError, errorMessage } from '../errors.js';
import type { StepState } from './events.js';
import type { CompiledStep, HostStep } from './compile.js';
import { mapWithLimit } from './concurrency.js';
import { sleep } from '@drbook/system';
import { applyPlan, planAcrossHosts, planHostStep, planProblem, type HostStepEnv } from './host-step.js';

export interface HostOutcome {
  host: string;
  state: StepState;
  error?: DrbookError;
}

export interface StepOutcome {
  state: StepState;
  hosts: HostOutcome[];
}

export async function runStep(compiled: CompiledStep, env: HostStepEnv, alreadyDone: (host: string) => boolean): Promise<StepOutcome> {
  const { step } = compiled;
  const started = Date.now();
  env.recorder.emit({ type: 'step.started', stepId: step.id, name: step.name, action: step.uses, hosts: compiled.hosts.map((h) => h.host.name) });
  await env.recorder.record({ t: 'step', stepId: step.id, state: 'running' });

  const outcomes = new Map<string, HostOutcome>();
  const active: HostStep[] = [];
  for (const hostStep of compiled.hosts) {
    const name = hostStep.host.name;
    if (alreadyDone(name)) outcomes.set(name, { host: name, state: 'done' });
    else if (!hostStep.enabled) await finishHost(hostStep, env, 'skipped', 0, outcomes);
    else active.push(hostStep);
  }

  // What the hosts must agree on (all of the step's hosts, also those done before a resume).
  let shared: unknown;
  if (active.length > 0) {
    try {
      const across = await planAcrossHosts(compiled.hosts.filter((h) => h.enabled), env, env.signal);
      shared = across.shared;
      for (const hostStep of active) {
        const error = across.errors.get(hostStep.host.name);
        if (error) await finishHost(hostStep, env, stateOf(error), Date.now() - started, outcomes, error);
      }
    } catch (error) {
      for (const hostStep of active) await finishHost(hostStep, env, stateOf(error), Date.now() - started, outcomes, error);
    }
  }

  // Plan everywhere before changing anything anywhere.
  const plans = new Map<string, ActionPlan>();
  const crossHostFailure = [...outcomes.values()].some((o) => isFailure(o.state));
  await Promise.all(
    (crossHostFailure ? [] : active).map(async (hostStep) => {
      env.recorder.emit({ type: 'host.started', stepId: step.id, host: hostStep.host.name, attempt: 1 });
      try {
        const plan = await withStepTimeout(hostStep, env, (signal) => planHostStep(hostStep, env, signal, shared));
        const problem = planProblem(hostStep, plan);
        if (problem) throw problem;
        plans.set(hostStep.host.name, plan);
      } catch (error) {
        await finishHost(hostStep, env, stateOf(error), Date.now() - started, outcomes, error);
      }
    }),
  );

  if (outcomes.size === compiled.hosts.length || [...outcomes.values()].some((o) => isFailure(o.state))) {
    // Some plan failed: apply nowhere. Hosts whose plans were fine did nothing in this step.
    for (const hostStep of active) if (!outcomes.has(hostStep.host.name)) await finishHost(hostStep, env, 'cancelled', 0, outcomes);
  } else {
    await mapWithLimit(active, step.serial ?? active.length, async (hostStep) => {
      const hostStarted = Date.now();
      try {
        await applyWithRetries(hostStep, plans.get(hostStep.host.name)!, env, shared);
        await finishHost(hostStep, env, 'done', Date.now() - hostStarted, outcomes);
      } catch (error) {
        await finishHost(hostStep, env, stateOf(error), Date.now() - hostStarted, outcomes, error);
      }
    });
  }

  const hosts = compiled.hosts.map((h) => outcomes.get(h.host.name)!);
  const state = worstState(hosts.map((o) => o.state));
  await env.recorder.record({ t: 'step', stepId: step.id, state });
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
  for (let attempt = 1; ; ) {
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
    controller.abort(env.signal.reason instanceof DrbookError ? new DrbookError(env.signal.reason.kind, env.signal.reason.message, place) : new DrbookError('cancelled', 'interrupted by the operator', place));
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

async function finishHost(hostStep: HostStep, env: HostStepEnv, state: StepState, durationMs: number, outcomes: Map<string, HostOutcome>, error?: unknown): Promise<void> {
  const { step, host } = hostStep;
  const failure = error === undefined ? undefined : asDrbookError(error, hostStep);
  outcomes.set(host.name, { host: host.name, state, error: failure });
  await env.recorder.record({ t: 'host', stepId: step.id, host: host.name, state, error: failure?.message });
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

/** failed > unreachable > cancelled > done > skipped: what the step as a whole is. */
function worstState(states: StepState[]): StepState {
  for (const state of ['failed', 'unreachable', 'cancelled', 'done'] as const) if (states.includes(state)) return state;
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
