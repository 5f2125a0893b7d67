import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollUntil } from '../../src/actions/poll.js';

/** A fake clock: each attempt costs `attemptMs`, sleeping advances the time. */
function clock(attemptMs: number) {
  let t = 0;
  const starts: number[] = [];
  return {
    starts,
    now: () => t,
    sleep: async (ms: number) => void (t += ms),
    attempt: (doneAt: number) => async () => {
      starts.push(t);
      t += attemptMs;
      return starts.length >= doneAt ? { done: true as const, value: starts.length } : { done: false as const, reason: `try ${starts.length}` };
    },
  };
}

test('polls start fast and back off x1.5 up to the interval, the period counted from the start of each attempt', async () => {
  const c = clock(50); // each look takes 50 ms: it must not stretch the period
  const outcome = await pollUntil({ timeoutMs: 60_000, intervalMs: 1000, now: c.now, sleep: c.sleep }, c.attempt(8));
  assert.deepEqual(outcome, { ok: true, value: 8 });
  const periods = c.starts.slice(1).map((s, i) => s - c.starts[i]!);
  assert.deepEqual(periods, [200, 300, 450, 675, 1000, 1000, 1000]);
});

test('a slow attempt is followed at once by the next; the interval is a ceiling, firstIntervalMs never above it', async () => {
  const c = clock(700);
  await pollUntil({ timeoutMs: 60_000, intervalMs: 500, firstIntervalMs: 2000, now: c.now, sleep: c.sleep }, c.attempt(3));
  assert.deepEqual(c.starts, [0, 700, 1400]);
});

test('the deadline stays exact: one last look at it, then the last reason', async () => {
  const c = clock(0);
  const outcome = await pollUntil({ timeoutMs: 1000, intervalMs: 1000, now: c.now, sleep: c.sleep }, c.attempt(99));
  assert.equal(outcome.ok, false);
  assert.equal(c.starts.at(-1), 1000, 'the last look is at the deadline');
  assert.ok(c.starts.every((s) => s <= 1000));
  assert.deepEqual(outcome.ok ? null : [outcome.reason, outcome.attempts], [`try ${c.starts.length}`, c.starts.length]);
});

test('an abort ends the wait as cancelled', async () => {
  const c = clock(0);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(pollUntil({ timeoutMs: 1000, intervalMs: 100, signal: controller.signal, now: c.now, sleep: c.sleep }, c.attempt(99)), /cancelled/);
});
