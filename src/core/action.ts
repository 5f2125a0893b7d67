// Actions plan, the engine executes (pyinfra). An action reads facts through
// read-only probes, then returns the changes it would make, as values, each with its
// undo. Dry-run shows those values; a run executes them; the journal records them.
// An empty list of changes means there is nothing to do (idempotence, safe resume).

import type { z } from 'zod';
import type { ShellCommand } from '../shell/command.js';
import type { Transport, ExecResult } from './transport.js';
import type { Host } from './inventory.js';
import type { HostFacts } from './facts.js';

export interface RunInfo {
  id: string;
  startedAt: string; // ISO time
  dryRun: boolean;
  /** The folder where this run keeps its files (journal, stashes made by drbook itself). */
  stateDir: string;
  /**
   * Wraps the command a change runs on a host so that it holds the run's in-flight lock
   * there while it runs (src/hostlock); absent in a dry-run. Probes are not wrapped.
   */
  guardCommand?: (host: string, command: ShellCommand) => ShellCommand;
}

export interface ActionContext {
  host: Host;
  transport: Transport;
  run: RunInfo;
  stepId: string;
  signal: AbortSignal;
  /** Show progress text for this host and step (goes through the secret masker). */
  log(text: string): void;
  /**
   * Run a read-only probe command. Runs in dry-run too; must never change anything.
   * Rejects (kind 'cancelled' or 'timeout') when the probe was killed before it answered,
   * unless `timeoutIsAnAnswer` (a poll takes a slow answer as "not yet").
   */
  probe(command: ShellCommand, options?: { timeoutMs?: number; timeoutIsAnAnswer?: boolean }): Promise<ExecResult>;
  /** Ask the operator a yes/no question (the `confirm` gate). Answered by --yes when given. */
  confirm(message: string): Promise<boolean>;
  /** Run a command as part of applying a change (never called in dry-run); output is streamed to the display. */
  exec(command: ShellCommand, options?: { timeoutMs?: number; stdin?: string | Buffer }): Promise<ExecResult>;
  /** This host's facts for the run (facts.ts): plan-time discovery probed once, never a check's verdict. */
  facts: HostFacts;
}

export type FindingLevel = 'ok' | 'info' | 'warn' | 'error';

/** What a probe found, shown in the plan. An 'error' finding means the run would fail: the plan exits non-zero. */
export interface Finding {
  level: FindingLevel;
  message: string;
}

/**
 * How to undo a change, as data, so that it can be journaled and carried out by
 * `drbook rollback` after a crash, in another process.
 * - command: a shell command run on the host;
 * - action: another action re-planned against the host's state at undo time (e.g. static-pods.start).
 */
export type Undo = { description: string; command: ShellCommand } | { description: string; action: string; with: Record<string, unknown> };

/**
 * "Did it happen?" — a read-only command that tells whether a change's effect is on the
 * host. It is data (journaled with the intent, secrets by name), so `drbook rollback` and
 * `drbook resume` in another process run it too. The protocol (docs/README "Checks"):
 * the command exits 0 and the first line of its stdout starts with a verdict word,
 * optionally followed by `:` or a space and free text saying why:
 * - `applied`  — the change's effect is there (wholly or in part: its undo must run);
 * - `reverted` — the change's effect is not there and what it replaced is back in place
 *                (the state before it; also "it never happened");
 * - anything else, or a non-zero exit — cannot tell; the text says why.
 * A check must be strong enough to be the rollback's postcondition: a moved manifest is
 * compared by the SHA-256 taken at plan time, a moved directory by its device:inode.
 */
export type CheckVerdict = 'applied' | 'reverted' | 'unknown';

export interface Change {
  /** One line for the plan: "move /etc/kubernetes/manifests/etcd.yaml to the stash". */
  description: string;
  /** The read-only "did it happen?" probe (see CheckVerdict). Every built-in change that alters a host has one. */
  check?: ShellCommand;
  /** Where the check runs: on the host (default) or on the operator's machine (a file drbook writes here). */
  checkOn?: 'host' | 'operator';
  /**
   * What the change acts on (paths, `pod:<name>`), per host. After a rollback, for each
   * subject the check of the FIRST change that acted on it must say `reverted` (the
   * state before the run); later changes on the same subject (a start that a stop
   * preceded) are checked right after their own undo. Without subjects the check is
   * always part of that final probe.
   */
  subjects?: string[];
  /** The command that makes the change. Unless `apply` is given, the engine runs it and a non-zero exit fails the change. */
  command?: ShellCommand;
  /** A change that is not a single command (a wait loop, a stream, a prompt). */
  apply?: (ctx: ActionContext) => Promise<void>;
  /** undefined/null: no undo. Flagged in the plan unless readOnly. */
  undo?: Undo | null;
  /** Verification or waiting: changes nothing, so needs no undo. */
  readOnly?: boolean;
  /** The change may leave partial state when it fails (e.g. a half-written restore): undo it even then. */
  undoOnFailure?: boolean;
  /** Timeout for this change alone; the step's timeout still bounds the whole. */
  timeoutMs?: number;
}

export interface ActionPlan {
  findings: Finding[];
  changes: Change[];
  /** False when the action could not probe honestly in dry-run: its plan is shown as "not simulated". */
  simulated: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one registry holds actions of every Args; `unknown` would make plan(ctx, args) contravariant and refuse them
export interface ActionDefinition<Args = any> {
  name: string;
  summary: string;
  /** Validates `with:` (strict: unknown keys are errors). */
  schema: z.ZodType<Args>;
  /** Keys of `with:` that are shell command templates: rendered with quoting into ShellCommand values. */
  commandFields?: string[];
  /** Whether plan() can run its probes honestly in dry-run (Ansible's supports_check_mode). */
  canSimulate: boolean;
  /**
   * A read-only verification of the outcome (etcd.health, k8s.nodes-ready): a resumed run
   * runs it again even when the journal shows it done, so "done" rests on probes made
   * after the last change.
   */
  verifiesOutcome?: boolean;
  /**
   * For steps whose hosts must agree (one etcd member table, the same snapshot on every
   * master): probe every host of the step before any host is planned, and return what
   * they share. `shared` is handed to each host's plan(); an 'error' finding on any host
   * stops the step everywhere. Read-only; runs in dry-run too.
   */
  planAcrossHosts?(hosts: Array<{ ctx: ActionContext; args: Args }>): Promise<SharedPlan>;
  /** Probe the host and return what would be done. Must not change anything. */
  plan(ctx: ActionContext, args: Args, shared?: unknown): Promise<ActionPlan>;
}

export interface SharedPlan {
  /** What every host's plan() receives as `shared`. */
  value?: unknown;
  findings: Array<{ host: string; finding: Finding }>;
}

/** Small helper for actions: a failed command as an Error with its output tail. */
export function commandFailure(what: string, result: ExecResult): Error {
  const tail = (result.stderr || result.stdout).trim().split('\n').slice(-5).join('\n');
  const how = result.timedOut ? 'timed out' : result.cancelled ? 'was cancelled' : `exited with ${result.exitCode ?? result.signal}`;
  return new Error(`${what} ${how}${tail ? `: ${tail}` : ''}`);
}
