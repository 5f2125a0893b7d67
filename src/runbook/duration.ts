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

/** Schema of a duration as written (validation only; parseDuration converts). */
export const durationSchema = z.union(
  [z.number().nonnegative(), z.string().regex(DURATION_PATTERN, { error: `expected ${DURATION_HINT}` })],
  { error: `expected ${DURATION_HINT}` },
);

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
