// Waiting for a condition with a deadline: the shared loop of every action that waits
// (containers gone, members healthy, nodes Ready). Sleeps are cancelled by the run's
// abort signal so SIGINT never waits out an interval.
// The period is measured from the START of an attempt (a slow probe under load does not
// stretch it), and it starts short and backs off: most waits end within a second or two
// (a container gone, a member up), where a fixed 1 s period after each attempt wasted
// ~0.8 s per wait. `intervalMs` is the ceiling of the period; the deadline stays exact
// (one last look at it).

import { DrbookError } from '../core/errors.js';
import { sleep } from '@drbook/system';

const FIRST_INTERVAL_MS = 200;
const BACKOFF = 1.5;

export type Attempt<T> = { done: true; value: T } | { done: false; reason: string };

export interface PollOptions {
  timeoutMs: number;
  /** The longest period between the starts of two attempts (reached by backing off). */
  intervalMs: number;
  /** The first period (default 200 ms, never above intervalMs). */
  firstIntervalMs?: number;
  /** Each period is the previous one times this, up to intervalMs (default 1.5). */
  backoff?: number;
  signal?: AbortSignal;
  /** Injected for tests (a fake clock: sleep advances now). */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface PollTimeout {
  /** The reason the last attempt gave. */
  reason: string;
  attempts: number;
  elapsedMs: number;
}

/** Try until done or the deadline; resolves with the value or with the last reason on timeout. */
export async function pollUntil<T>(options: PollOptions, attempt: () => Promise<Attempt<T>>): Promise<{ ok: true; value: T } | ({ ok: false } & PollTimeout)> {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const started = now();
  let period = Math.min(options.firstIntervalMs ?? FIRST_INTERVAL_MS, options.intervalMs);
  let attempts = 0;
  for (;;) {
    throwIfAborted(options.signal);
    attempts++;
    const attemptStarted = now();
    const result = await attempt();
    if (result.done) return { ok: true, value: result.value };
    const next = attemptStarted + period - started; // when the next attempt starts, from the start
    const elapsedMs = now() - started;
    if (next > options.timeoutMs) {
      if (elapsedMs >= options.timeoutMs) return { ok: false, reason: result.reason, attempts, elapsedMs };
      await wait(Math.max(0, options.timeoutMs - elapsedMs), options.signal);
      // one last look exactly at the deadline
      throwIfAborted(options.signal);
      attempts++;
      const last = await attempt();
      if (last.done) return { ok: true, value: last.value };
      return { ok: false, reason: last.reason, attempts, elapsedMs: now() - started };
    }
    await wait(Math.max(0, next - elapsedMs), options.signal); // an abort is thrown at the top of the loop
    period = Math.min(period * (options.backoff ?? BACKOFF), options.intervalMs);
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelled();
}

function cancelled(): DrbookError {
  return new DrbookError('cancelled', 'cancelled while waiting');
}
