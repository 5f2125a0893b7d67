// Durations as authors write them: "500ms", "30s", "5m", "1h", compounds such as
// "1m30s", or a number of seconds (also "90" as a string, because a rendered template
// is a string). One parser for runbooks, inventories and action arguments, so every
// place reads them the same way. Everything inside drbook counts in milliseconds.

import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** The same language as a regular expression, for the JSON Schema editors read. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?|(?:\d+(?:\.\d+)?(?:ms|s|m|h))+)$/;

export const DURATION_HINT = 'a duration like "500ms", "30s", "5m", "1m30s", or a number of seconds';

/**
 * The longest wait a Node timer can hold: setTimeout stores its delay in 32 bits and
 * fires at once (after 1 ms) for anything longer, so a 600h step timeout would kill
 * the step immediately. Every duration that reaches a timer is refused above this at
 * load, saying so, rather than cut short.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why a duration in ms is too long for a timer, or undefined. */
export function durationTooLong(ms: number): string | undefined {
  if (ms <= MAX_TIMER_MS) return undefined;
  return 'expected a duration of at most 596h31m23s (about 24.8 days: the longest wait a timer can hold)';
}

/** Schema of a duration as written (validation only; parseDuration converts). */
export const durationSchema = z
  .union([z.number().nonnegative(), z.string().regex(DURATION_PATTERN, { error: `expected ${DURATION_HINT}` })], { error: `expected ${DURATION_HINT}` })
  .superRefine((value, ctx) => {
    const ms = parseDuration(value);
    const tooLong = ms === undefined ? undefined : durationTooLong(ms);
    if (tooLong) ctx.addIssue({ code: 'custom', message: tooLong });
  });

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (text === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return Math.round(total);
}

/** For values already validated by durationSchema. */
export function toMs(value: string | number): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new Error(`not a duration: ${String(value)}`);
  return ms;
}
