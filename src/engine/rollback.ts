// Rollback belongs to the engine (listr2 only compensates the failing task): every
// completed change is undone in reverse order — steps in reverse, with a barrier per
// step across hosts, changes in reverse within a host. It works from the journal's
// entries only, so the same code serves an in-process rollback and `drbook rollback
// RUN_ID` after a crash. Rollback is journaled too; a failing undo stops that host
// (later undos depend on earlier ones) and is reported with the state it left.

import { commandFailure, type ActionContext, type RunInfo } from '../actions/action.js';
import { getAction } from '../actions/registry.js';
import { errorMessage } from '../errors.js';
import type { Host } from '../inventory/types.js';
import type { UndoRecord } from '../journal/records.js';
import { replayJournal, type UndoItem } from '../journal/replay.js';
import { ShellCommand } from '../shell/command.js';
import type { TransportPool } from '../transport/transport.js';
import { createActionContext } from './action-context.js';
import { applyChange } from './host-step.js';
import type { RunRecorder } from './recorder.js';

/** An undo command gets this long before it is killed. */
const UNDO_TIMEOUT_MS = 10 * 60_000;

export interface RollbackInput {
  recorder: RunRecorder;
  pool: TransportPool;
  hosts: Map<string, Host>;
  run: RunInfo;
  /** Values of secret parameters per host, by name: undo commands reference them by name. */
  secretsByHost: Map<string, Record<string, string>>;
  signal: AbortSignal;
  reason: string;
}

export interface RollbackOutcome {
  /** Every undo that exists was carried out. */
  ok: boolean;
  /** What is still applied because its undo failed or could not be attempted, one line each. */
  left: string[];
  /** Changes that have no undo (flagged [NO UNDO] in the plan): left as they are, by the runbook's design. */
  irreversible: string[];
}

export async function rollbackRun(input: RollbackInput): Promise<RollbackOutcome> {
  const { recorder } = input;
  const history = replayJournal(recorder.entries);
  const work = history.completedChangesToUndo();
  await recorder.record({ t: 'rollback', phase: 'started', reason: input.reason });
  recorder.emit({ type: 'rollback.started', reason: input.reason });

  const stepOrder = [...new Set(work.map((item) => item.stepId))];
  const brokenHosts = new Set<string>();
  const left: string[] = [];
  const irreversible: string[] = [];
  for (const stepId of stepOrder) {
    const byHost = new Map<string, UndoItem[]>();
    for (const item of work.filter((w) => w.stepId === stepId)) byHost.set(item.host, [...(byHost.get(item.host) ?? []), item]);
    await Promise.all(
      [...byHost].map(async ([hostName, items]) => {
        for (const item of items) {
          const where = `${hostName}: step ${item.stepId}: ${item.description}`;
          if (brokenHosts.has(hostName) || input.signal.aborted) {
            left.push(`${where} (not undone: ${input.signal.aborted ? 'rollback interrupted' : 'an earlier undo on this host failed'})`);
            continue;
          }
          if (!item.undo) {
            if (!item.readOnly) irreversible.push(where);
            continue;
          }
          const failure = await undoOne(item, item.undo, input);
          if (failure) {
            brokenHosts.add(hostName);
            left.push(`${where} (undo failed: ${failure})`);
          }
        }
      }),
    );
  }

  const ok = left.length === 0;
  await recorder.record({ t: 'rollback', phase: 'finished', ok });
  recorder.emit({ type: 'rollback.finished', ok, left, irreversible });
  return { ok, left, irreversible };
}

/** Undo one change; resolves with an error message, or undefined when it worked. */
async function undoOne(item: UndoItem, undo: UndoRecord, input: RollbackInput): Promise<string | undefined> {
  const { recorder } = input;
  const command = 'command' in undo ? safeRebuild(undo, input.secretsByHost.get(item.host) ?? {}) : undefined;
  const base = { stepId: item.stepId, host: item.host, index: item.index };
  await recorder.record({ t: 'undo-intent', ...base, description: undo.description, command: command instanceof ShellCommand ? command.toDisplay() : undefined });
  recorder.emit({ type: 'undo.started', ...base, description: undo.description, command: command instanceof ShellCommand ? command.toDisplay() : undefined });
  const started = Date.now();
  let error: string | undefined;
  try {
    if (typeof command === 'string') throw new Error(command);
    const ctx = await undoContext(item, input);
    if (command) {
      // ctx.exec: the undo runs under the run's in-flight lock like any change (output streamed by undoContext).
      const result = await ctx.exec(command, { timeoutMs: UNDO_TIMEOUT_MS });
      if (result.exitCode !== 0) throw commandFailure(command.toDisplay(), result);
    } else if ('action' in undo) {
      await undoWithAction(undo, ctx);
    }
  } catch (caught) {
    error = errorMessage(caught);
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

async function undoContext(item: UndoItem, input: RollbackInput): Promise<ActionContext> {
  const host = input.hosts.get(item.host);
  if (!host) throw new Error(`host ${item.host} is not in the inventory any more`);
  return createActionContext({
    host,
    transport: await input.pool.get(item.host),
    run: input.run,
    stepId: item.stepId,
    signal: input.signal,
    onOutput: (stream, text) => input.recorder.emit({ type: 'output', stepId: item.stepId, host: item.host, stream, text }),
    onLog: (text) => input.recorder.emit({ type: 'output', stepId: item.stepId, host: item.host, stream: 'stdout', text: `${text}\n` }),
  });
}
