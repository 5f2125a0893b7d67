// One step on one host: plan it (probes), then apply its changes one by one with the
// journal's intent-before / result-after discipline, under the step's timeout.

import { commandFailure, type ActionContext, type ActionPlan, type Change, type RunInfo, type Undo } from '../core/action.js';
import { DrbookError, errorMessage } from '../core/errors.js';
import type { JournalEntry, UndoRecord } from '../core/journal-records.js';
import * as faults from './faults.js';
import type { TransportPool } from '../core/transport.js';
import { createActionContext } from './action-context.js';
import type { HostStep } from './compile.js';
import { OutputTail } from './output-tail.js';
import type { RunRecorder } from './recorder.js';
import { findSecretsInArgv } from './secret-argv-findings.js';

export interface HostStepEnv {
  run: RunInfo;
  pool: TransportPool;
  recorder: RunRecorder;
  /** The run's interrupt signal. */
  signal: AbortSignal;
  confirm: (message: string) => Promise<boolean>;
  /** Next free change index per `step/host`, so retries and resumes never reuse one. */
  nextIndex: Map<string, number>;
}

export interface PlannedHostStep {
  hostStep: HostStep;
  plan: ActionPlan;
}

/** A context whose signal aborts on the run's interrupt or on the step's timeout. */
export async function openContext(hostStep: HostStep, env: HostStepEnv, signal: AbortSignal, tail?: OutputTail): Promise<ActionContext> {
  const { step, host } = hostStep;
  const transport = await env.pool.get(host.name);
  return createActionContext({
    host,
    transport,
    run: env.run,
    stepId: step.id,
    signal,
    onLog: (text) => env.recorder.emit({ type: 'output', stepId: step.id, host: host.name, stream: 'stdout', text: text.endsWith('\n') ? text : `${text}\n` }),
    // With a tail, output is masked as a stream (see OutputTail) before it is shown.
    onOutput: tail ? (stream, text) => tail.push(stream, text) : (stream, text) => env.recorder.emit({ type: 'output', stepId: step.id, host: host.name, stream, text }),
    confirm: env.confirm,
    secrets: hostStep.secrets,
  });
}

export async function planHostStep(hostStep: HostStep, env: HostStepEnv, signal: AbortSignal, shared?: unknown): Promise<ActionPlan> {
  const ctx = await openContext(hostStep, env, signal);
  const planned = await hostStep.action.plan(ctx, hostStep.args, shared);
  const plan = { ...withSecretParts(planned, hostStep.secrets ?? {}), findings: [...findSecretsInArgv(hostStep), ...planned.findings] };
  const { step, host } = hostStep;
  for (const finding of plan.findings) env.recorder.emit({ type: 'host.finding', stepId: step.id, host: host.name, finding });
  env.recorder.emit({
    type: 'host.planned',
    stepId: step.id,
    host: host.name,
    simulated: hostStep.action.canSimulate && plan.simulated,
    changes: plan.changes.map((change) => ({
      description: change.description,
      command: change.command?.toDisplay(),
      undo: change.undo?.description,
      readOnly: change.readOnly ?? false,
      checked: !!change.check,
    })),
  });
  return plan;
}

/**
 * The step's cross-host phase (see ActionDefinition.planAcrossHosts): its findings are
 * emitted per host; returns the shared value and the hosts whose findings are errors.
 */
export async function planAcrossHosts(hostSteps: HostStep[], env: HostStepEnv, signal: AbortSignal): Promise<{ shared?: unknown; errors: Map<string, DrbookError> }> {
  const errors = new Map<string, DrbookError>();
  const action = hostSteps[0]?.action;
  if (!action?.planAcrossHosts) return { errors };
  // Every host is reached first; one that cannot be is reported as itself (not as a
  // failure of the others), and the hosts are not compared without it.
  const opened = await Promise.allSettled(hostSteps.map(async (hostStep) => ({ ctx: await openContext(hostStep, env, signal), args: hostStep.args })));
  opened.forEach((result, i) => {
    if (result.status === 'rejected') {
      const { host, step } = hostSteps[i]!;
      const error = result.reason;
      errors.set(host.name, error instanceof DrbookError ? error : new DrbookError('step', errorMessage(error), { host: host.name, step: step.id, cause: error }));
    }
  });
  if (errors.size > 0) return { errors };
  const hosts = opened.map((result) => (result as PromiseFulfilledResult<{ ctx: ActionContext; args: unknown }>).value);
  const { value, findings } = await action.planAcrossHosts(hosts);
  for (const { host, finding } of findings) {
    const stepId = hostSteps[0]!.step.id;
    env.recorder.emit({ type: 'host.finding', stepId, host, finding });
    if (finding.level === 'error') {
      const previous = errors.get(host)?.message;
      errors.set(host, new DrbookError('step', previous ? `${previous}; ${finding.message}` : finding.message, { host, step: stepId }));
    }
  }
  return { shared: value, errors };
}

/** The error findings of a plan, as one error (or undefined when the plan is sound). */
export function planProblem(hostStep: HostStep, plan: ActionPlan): DrbookError | undefined {
  const errors = plan.findings.filter((f) => f.level === 'error');
  if (errors.length === 0) return undefined;
  return new DrbookError('step', errors.map((f) => f.message).join('; '), { host: hostStep.host.name, step: hostStep.step.id });
}

/** Apply a plan's changes in order. Throws (after journaling) on the first failure. */
export async function applyPlan(hostStep: HostStep, plan: ActionPlan, env: HostStepEnv, signal: AbortSignal): Promise<void> {
  const { step, host } = hostStep;
  const key = `${step.id}/${host.name}`;
  for (const [position, change] of plan.changes.entries()) {
    const index = env.nextIndex.get(key) ?? 0;
    env.nextIndex.set(key, index + 1);
    const tail = new OutputTail(env.recorder.masker, (stream, text) => env.recorder.emit({ type: 'output', stepId: step.id, host: host.name, stream, text }));
    const ctx = await openContext(hostStep, env, signal, tail);
    await env.recorder.record({
      t: 'intent',
      stepId: step.id,
      host: host.name,
      index,
      description: change.description,
      command: change.command?.toDisplay(),
      undo: toUndoRecord(change.undo),
      undoOnFailure: change.undoOnFailure ?? false,
      readOnly: change.readOnly ?? false,
      ...checkFields(change),
      ...(position === plan.changes.length - 1 ? { lastOfStep: true } : {}),
    });
    env.recorder.emit({ type: 'change.started', stepId: step.id, host: host.name, index, description: change.description, command: change.command?.toDisplay() });
    const started = Date.now();
    try {
      await applyChange(change, ctx);
      signal.throwIfAborted();
    } catch (error) {
      const failure = describeFailure(error, signal, hostStep);
      const durationMs = Date.now() - started;
      await env.recorder.record({ t: 'result', stepId: step.id, host: host.name, index, ok: false, durationMs, error: failure.message, outputTail: tail.toString() });
      env.recorder.emit({ type: 'change.finished', stepId: step.id, host: host.name, index, ok: false, durationMs, error: failure.message });
      throw failure;
    }
    faults.beforeResult('change', step.id, host.name, index);
    const durationMs = Date.now() - started;
    await env.recorder.record({ t: 'result', stepId: step.id, host: host.name, index, ok: true, durationMs, outputTail: tail.toString() || undefined });
    env.recorder.emit({ type: 'change.finished', stepId: step.id, host: host.name, index, ok: true, durationMs });
  }
}

export async function applyChange(change: Change, ctx: ActionContext): Promise<void> {
  if (change.apply) return change.apply(ctx);
  if (!change.command) throw new Error(`internal: change "${change.description}" has neither a command nor an apply function`);
  const result = await ctx.exec(change.command, { timeoutMs: change.timeoutMs });
  if (result.exitCode !== 0) throw commandFailure(change.command.toDisplay(), result);
}

/** The intent's check fields: the check as a record (secrets by name), where it runs, what the change acts on. */
export function checkFields(change: Change): Pick<Extract<JournalEntry, { t: 'intent' }>, 'check' | 'checkOn' | 'subjects'> {
  if (!change.check) return {};
  return { check: change.check.toRecord(), ...(change.checkOn === 'operator' ? { checkOn: 'operator' } : {}), ...(change.subjects?.length ? { subjects: change.subjects } : {}) };
}

/**
 * Secret values inside the arguments of a plan's commands and undo commands become
 * secret parts (by param name): shown masked, journaled by name, run from the
 * environment — so `drbook rollback` rebuilds an undo with the right value.
 */
function withSecretParts(plan: ActionPlan, secrets: Readonly<Record<string, string>>): ActionPlan {
  if (Object.keys(secrets).length === 0) return plan;
  return {
    ...plan,
    changes: plan.changes.map((change) => ({
      ...change,
      ...(change.command ? { command: change.command.withSecrets(secrets) } : {}),
      ...(change.undo && 'command' in change.undo ? { undo: { ...change.undo, command: change.undo.command.withSecrets(secrets) } } : {}),
      // A change's "did it happen?" check is a command too.
      ...(change.check ? { check: change.check.withSecrets(secrets) } : {}),
    })),
  };
}

export function toUndoRecord(undo: Undo | null | undefined): UndoRecord | null {
  if (!undo) return null;
  if ('command' in undo) return { description: undo.description, command: undo.command.toRecord() };
  return { description: undo.description, action: undo.action, with: undo.with };
}

/** Why the step ended: its own timeout, the operator's interrupt, or the error itself. */
function describeFailure(error: unknown, signal: AbortSignal, hostStep: HostStep): DrbookError {
  const place = { host: hostStep.host.name, step: hostStep.step.id, cause: error };
  if (signal.aborted && signal.reason instanceof DrbookError) return signal.reason;
  if (error instanceof DrbookError) return new DrbookError(error.kind, error.message, { ...place, hint: error.hint });
  return new DrbookError('step', errorMessage(error), place);
}
