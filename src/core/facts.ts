// Facts below actions (pyinfra's facts; DESIGN.md point 12): a fact is a named,
// read-only probe of one host (which etcd tool restores there, its etcd manifest, its
// own member). Actions ask `ctx.facts.get(fact, args)` instead of probing: the run keeps
// one answer per host, fact and args, so a fact every step needs is probed once per run.
// Facts are for plan-time discovery only: the engine's "did it happen?" checks and the
// postcondition checks probe the hosts themselves, never through this cache (rule: no
// claim without a probe).
// The cache lives in fact-cache.ts; the engine hands one to every context of a run.

import type { ActionContext } from './action.js';

/** What a fact's probe may use: the asking action's context (its probes, its signal and timeouts). */
export type FactContext = Pick<ActionContext, 'host' | 'transport' | 'probe' | 'facts'>;

/**
 * How long an answer holds:
 * - `run`: nothing drbook changes alters it (which etcd tools are installed on the host):
 *   kept for the whole run;
 * - `change`: a change may alter it (a manifest moved or edited, a data dir swapped):
 *   dropped whenever a change command runs on the host (ActionContext.exec, undo
 *   commands included) and when a probe of the host goes unanswered.
 */
export type FactLifetime = 'run' | 'change';

export interface Fact<T, A = undefined> {
  /** Unique among facts: "etcd.tool", "etcd.manifest". */
  readonly name: string;
  readonly lifetime: FactLifetime;
  /** Read-only. A rejection is never remembered: the next ask probes again. */
  probe(ctx: FactContext, args: A): Promise<T>;
  /** The cache key of the args (default: their JSON). */
  key?(args: A): string;
  /** Whether this answer is remembered (default: every answer). A refusal worth asking again returns false. */
  keep?(value: T): boolean;
}

/** A fact of any answer and args, for a cache that holds them all. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a cache holds facts of every T and A; `unknown` would make probe(ctx, args) contravariant and refuse them
export type AnyFact = Fact<any, any>;

/** One host's facts as an action sees them (ActionContext.facts). */
export interface HostFacts {
  /** The fact's answer for these args: probed on first ask (with this context), then the remembered answer; concurrent asks share one probe. */
  get<T, A>(fact: Fact<T, A>, args: A): Promise<T>;
  get<T>(fact: Fact<T, undefined>): Promise<T>;
  /** Forget one fact (every args) on this host, or with no fact every `change` fact: for a change that alters the host without exec(). */
  invalidate(fact?: AnyFact): void;
}

/** Identity helper so fact definitions read as declarations and keep their types. */
export function defineFact<T, A = undefined>(fact: Fact<T, A>): Fact<T, A> {
  return fact;
}
