// Durations as authors write them: "500ms", "30s", "5m", "1h", or a bare number of
// seconds. One parser for runbooks and inventories so both read the same way.

import { z } from 'zod';

export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export const DURATION_HINT = 'a duration like "500ms", "30s", "5m", "1h", or a number of seconds';

/** Schema of a duration as written (validation only; parseDuration converts). */
export const durationSchema = z.union([z.number().nonnegative(), z.string().regex(DURATION_PATTERN, { error: `expected ${DURATION_HINT}` })], { error: `expected ${DURATION_HINT}` });

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** For values already validated by durationSchema. */
export function toMs(value: string | number): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new Error(`not a duration: ${String(value)}`);
  return ms;
}
