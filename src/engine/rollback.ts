// Rollback belongs to the engine (listr2 only compensates the failing task): every
// change that may be applied is undone in reverse order — steps in reverse, with a
// barrier per step across hosts, changes in reverse within a host. It works from the
// journal's entries only, so the same code serves an in-process rollback and `drbook
// rollback RUN_ID` after a crash. Rollback is journaled too.
//
// The journal says what was intended; the hosts say what is. So every change that may
// be applied — completed, failed, or cut off in flight — is probed with its check first:
// applied → undone, then probed again (it must say reverted); reverted → nothing to do;
// cannot tell → left, named. At the end every change is probed once more (a later undo
// can disturb an earlier one: for each thing the run acted on, the first change on it
// must say reverted — the state before the run). Only then is the rollback verified.
// A failing undo or a doubt stops that host (later undos depend on earlier ones).

import { commandFailure, type ActionContext, type RunInfo } from '../core/action.js';
import { getAction } from '../actions/registry.js';
import { errorMessage } from '../core/errors.js';
import type { Host } from '../core/inventory.js';
import type { UndoRecord } from '../core/journal-records.js';
import { replayJournal, type ChangeHistory, type RunHistory, type UndoItem } from '../journal/replay.js';
import { ShellCommand } from '../shell/command.js';
import type { TransportPool } from '../core/transport.js';
import { createActionContext } from './action-context.js';
import { probeChange, type ProbeEnv } from './change-check.js';
import * as faults from './faults.js';
import { applyChange } from './host-step.js';
import { OutputTail } from './output-tail.js';
import type { RunRecorder } from './recorder.js';

/** An undo command gets this long before it is killed. */
const UNDO_TIMEOUT_MS = 10 * 60_000;

export interface RollbackInput {
  recorder: RunRecorder;
  pool: TransportPool;
  hosts: Map<string, Host>;
  run: RunInfo;
  /** Values of secret parameters per host, by name: undo commands and checks reference them by name. */
  secretsByHost: Map<string, Record<string, string>>;
  signal: AbortSignal;
  reason: string;
  /** The run's host locks cover every probe too (ProbeEnv.hostHeld); undos go through run.guardCommand. */
  hostHeld?: ProbeEnv['hostHeld'];
}

export interface RollbackOutcome {
  /** Verified: every check says reverted, and nothing is left or unknown. */
  ok: boolean;
  /** What is not back, or cannot be told, one line each. */
  left: string[];
  /** Changes that have no undo (flagged [NO UNDO] in the plan): left as they are, by the runbook's design. */
  irreversible: string[];
  /** Undos carried out (and confirmed by their checks where there is one). */
  undone: number;
  /** Changes whose check found them reverted: nothing to undo. */
  foundReverted: number;
  /** Undone on the journal's and the undo command's word: the step gives no check to confirm it. */
  unverified: string[];
}

export async function rollbackRun(input: RollbackInput): Promise<RollbackOutcome> {
  const { recorder } = input;
  const history = replayJournal(recorder.entries);
  const work = history.changesToRollBack();
  await recorder.record({ t: 'rollback', phase: 'started', reason: input.reason });
  recorder.emit({ type: 'rollback.started', reason: input.reason });
  const probeEnv: ProbeEnv = { recorder, pool: input.pool, secretsByHost: input.secretsByHost, signal: input.signal, knownHosts: new Set(input.hosts.keys()), hostHeld: input.hostHeld };

  const outcome: RollbackOutcome = { ok: false, left: [], irreversible: [], undone: 0, foundReverted: 0, unverified: [] };
  const brokenHosts = new Set<string>();
  for (const stepId of [...new Set(work.map((item) => item.stepId))]) {
    const byHost = new Map<string, UndoItem[]>();
    for (const item of work.filter((w) => w.stepId === stepId)) byHost.set(item.host, [...(byHost.get(item.host) ?? []), item]);
    await Promise.all(
      [...byHost].map(async ([hostName, items]) => {
        for (const item of items) {
          const where = describeChange(item);
          if (brokenHosts.has(hostName) || input.signal.aborted) {
            outcome.left.push(`${where} (not undone: ${input.signal.aborted ? 'rollback interrupted' : 'an earlier undo on this host failed or could not tell'})`);
            continue;
          }
          const problem = await rollBackOne(item, history, input, probeEnv, outcome);
          if (problem) {
            brokenHosts.add(hostName);
            outcome.left.push(`${where} (${problem})`);
          }
        }
      }),
    );
  }

  if (!input.signal.aborted) await probeFinalState(history, brokenHosts, probeEnv, outcome);
  outcome.ok = outcome.left.length === 0 && !input.signal.aborted;
  await recorder.record({ t: 'rollback', phase: 'finished', ok: outcome.ok, undone: outcome.undone, foundReverted: outcome.foundReverted, left: outcome.left });
  recorder.emit({ type: 'rollback.finished', ...outcome });
  return outcome;
}

/** Roll back one change; resolves with what went wrong (the host stops there), or undefined. */
async function rollBackOne(item: ChangeHistory, history: RunHistory, input: RollbackInput, probeEnv: ProbeEnv, outcome: RollbackOutcome): Promise<string | undefined> {
  const where = describeChange(item);
  const need = history.rollbackNeed(item);
  if (need === 'probe') {
    const found = await probeChange(item, 'before-undo', probeEnv);
    if (found.verdict === 'reverted') {
      outcome.foundReverted++;
      return undefined;
    }
    if (found.verdict === 'unknown') return `cannot tell whether it is applied: ${found.detail}`;
  } else if (need === 'maybe') {
    if (!item.undo) {
      outcome.irreversible.push(`${where} (cut off in flight: it may or may not have happened)`);
      return undefined;
    }
    return `cut off in flight, and the step gives no check: it may or may not have happened; its undo (${item.undo.description}) was not run — look, then undo it by hand or give the step a check`;
  }
  if (!item.undo) {
    if (!item.readOnly) outcome.irreversible.push(where);
    return undefined;
  }
  const problem = await undoOne(item, item.undo, input, probeEnv);
  if (problem) return problem;
  outcome.undone++;
  if (!item.check) outcome.unverified.push(where);
  return undefined;
}

/**
 * The postcondition: for each thing a change acted on (its subjects), the first change
 * on it must say reverted — the state before the run. Later changes on the same thing
 * were checked right after their own undo; an earlier undo puts the state further back
 * (a stop undone after a start undone: the pods run again).
 */
async function probeFinalState(history: RunHistory, brokenHosts: Set<string>, probeEnv: ProbeEnv, outcome: RollbackOutcome): Promise<void> {
  const finals: ChangeHistory[] = [];
  const seen = new Map<string, Set<string>>();
  for (const change of history.changes) {
    if (!change.check || change.undo === null || brokenHosts.has(change.host) || history.rollbackNeed(change) === 'maybe') continue;
    const hostSeen = seen.get(change.host) ?? new Set<string>();
    seen.set(change.host, hostSeen);
    const subjects = change.subjects ?? [];
    if (subjects.length === 0 || subjects.some((s) => !hostSeen.has(s))) finals.push(change);
    for (const s of subjects) hostSeen.add(s);
  }
  const results = await Promise.all(finals.map(async (change) => ({ change, found: await probeChange(change, 'final', probeEnv) })));
  for (const { change, found } of results) {
    if (found.verdict !== 'reverted')
      outcome.left.push(`${describeChange(change)} (after the rollback its check says ${found.verdict === 'applied' ? 'it is applied' : 'it cannot tell'}: ${found.detail})`);
  }
}

function describeChange(item: ChangeHistory): string {
  return `${item.host}: step ${item.stepId}: ${item.description}`;
}

/** Undo one change, then probe it; resolves with what went wrong, or undefined when its check says reverted (or, without a check, the undo worked). */
async function undoOne(item: UndoItem, undo: UndoRecord, input: RollbackInput, probeEnv: ProbeEnv): Promise<string | undefined> {
  const { recorder } = input;
  const command = 'command' in undo ? safeRebuild(undo, input.secretsByHost.get(item.host) ?? {}) : undefined;
  const base = { stepId: item.stepId, host: item.host, index: item.index };
  await recorder.record({ t: 'undo-intent', ...base, description: undo.description, command: command instanceof ShellCommand ? command.toDisplay() : undefined });
  recorder.emit({ type: 'undo.started', ...base, description: undo.description, command: command instanceof ShellCommand ? command.toDisplay() : undefined });
  const started = Date.now();
  let error: string | undefined;
  // Masked as a stream: a secret split across two chunks of output is still masked.
  const output = new OutputTail(recorder.masker, (stream, text) => recorder.emit({ type: 'output', stepId: item.stepId, host: item.host, stream, text }));
  try {
    if (typeof command === 'string') throw new Error(command);
    const ctx = await undoContext(item, input, output);
    if (command) {
      // ctx.exec: the undo runs under the run's in-flight lock like any change (its output goes to the masked tail).
      const result = await ctx.exec(command, { timeoutMs: UNDO_TIMEOUT_MS });
      if (result.exitCode !== 0) throw commandFailure(command.toDisplay(), result);
    } else if ('action' in undo) {
      await undoWithAction(undo, ctx);
    }
  } catch (caught) {
    error = errorMessage(caught);
  }
  output.flush();
  faults.beforeResult('undo', item.stepId, item.host, item.index);
  if (item.check && !(typeof command === 'string')) {
    // The undo's own exit status is not the claim: the host is.
    const found = await probeChange(item, 'after-undo', probeEnv);
    if (found.verdict === 'reverted') {
      if (error) recorder.emit({ type: 'output', stepId: item.stepId, host: item.host, stream: 'stderr', text: `the undo reported: ${error}; its check says reverted (${found.detail})\n` });
      error = undefined;
    } else {
      error = `${error ? `undo failed: ${error}; ` : 'the undo ran, but '}its check says ${found.verdict === 'applied' ? 'it is still applied' : 'it cannot tell'}: ${found.detail}`;
    }
  } else if (error) {
    error = `undo failed: ${error}`;
  }
  const durationMs = Date.now() - started;
  await recorder.record({ t: 'undo-result', ...base, ok: !error, durationMs, error });
  recorder.emit({ type: 'undo.finished', ...base, ok: !error, durationMs, error });
  return error;
}

/** The undo command, or the reason it cannot be rebuilt (a secret not given again). */
function safeRebuild(undo: Extract<UndoRecord, { command: unknown }>, secrets: Record<string, string>): ShellCommand | string {
  try {
    return ShellCommand.fromRecord(undo.command, secrets);
  } catch (error) {
    return errorMessage(error);
  }
}

/** An action undo is re-planned against the host's state now: idempotent by construction. */
async function undoWithAction(undo: Extract<UndoRecord, { action: string }>, ctx: ActionContext): Promise<void> {
  const action = getAction(undo.action);
  if (!action) throw new Error(`unknown action "${undo.action}" in the journal`);
  const plan = await action.plan(ctx, action.schema.parse(undo.with));
  const errors = plan.findings.filter((f) => f.level === 'error');
  if (errors.length) throw new Error(errors.map((f) => f.message).join('; '));
  for (const change of plan.changes) await applyChange(change, ctx);
}

async function undoContext(item: UndoItem, input: RollbackInput, output: OutputTail): Promise<ActionContext> {
  const host = input.hosts.get(item.host);
  if (!host) throw new Error(`host ${item.host} is not in the inventory any more`);
  return createActionContext({
    host,
    transport: await input.pool.get(item.host),
    run: input.run,
    stepId: item.stepId,
    signal: input.signal,
    secrets: input.secretsByHost.get(item.host),
    onOutput: (stream, text) => output.push(stream, text),
    onLog: (text) => input.recorder.emit({ type: 'output', stepId: item.stepId, host: item.host, stream: 'stdout', text: `${text}\n` }),
  });
}
