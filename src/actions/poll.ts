// Waiting for a condition with a deadline: the shared loop of every action that waits
// (containers gone, members healthy, nodes Ready). Sleeps are cancelled by the run's
// abort signal so SIGINT never waits out an interval.

import { DrbookError } from '../core/errors.js';
import { sleep } from '@drbook/system';

export type Attempt<T> = { done: true; value: T } | { done: false; reason: string };

export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal;
  /** Injected for tests. */
  now?: () => number;
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
  const started = now();
  let attempts = 0;
  for (;;) {
    throwIfAborted(options.signal);
    attempts++;
    const result = await attempt();
    if (result.done) return { ok: true, value: result.value };
    const elapsedMs = now() - started;
    if (elapsedMs + options.intervalMs > options.timeoutMs) {
      if (elapsedMs >= options.timeoutMs) return { ok: false, reason: result.reason, attempts, elapsedMs };
      await sleep(Math.max(0, options.timeoutMs - elapsedMs), options.signal);
      // one last look exactly at the deadline
      throwIfAborted(options.signal);
      attempts++;
      const last = await attempt();
      if (last.done) return { ok: true, value: last.value };
      return { ok: false, reason: last.reason, attempts, elapsedMs: now() - started };
    }
    await sleep(options.intervalMs, options.signal); // an abort is thrown at the top of the loop
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelled();
}

function cancelled(): DrbookError {
  return new DrbookError('cancelled', 'cancelled while waiting');
}
