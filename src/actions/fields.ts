// The zod fields of action arguments (durations, booleans, lists, optional texts, file modes) that
// accept what a rendered template gives: strings. Durations parse with the runbook's own parser.

import { z } from 'zod';
import { durationTooLong, parseDuration } from '../input/duration.js';

export { parseDuration };

/** "2m", "1m30s", "450ms": for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (minutes < 60) return rest ? `${minutes}m${rest}s` : `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
}

/** A zod field accepting a duration (string or seconds) and giving milliseconds. */
export function durationField(defaultValue: string) {
  return z
    .union([z.number(), z.string()])
    .default(defaultValue)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms <= 0) {
        ctx.issues.push({ code: 'custom', input: value, message: `expected a duration such as "90s", "2m" or a number of seconds, got ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      const tooLong = durationTooLong(ms);
      if (tooLong) {
        ctx.issues.push({ code: 'custom', input: value, message: tooLong });
        return z.NEVER;
      }
      return ms;
    });
}

/** A boolean that also accepts "true"/"false" (rendered templates are strings). */
export function booleanField(defaultValue: boolean) {
  return z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .default(defaultValue)
    .transform((value) => value === true || value === 'true');
}

/** An optional boolean (undefined = let the action decide). */
export function optionalBooleanField() {
  return z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .optional()
    .transform((value) => (value === undefined ? undefined : value === true || value === 'true'));
}

/** A list of words, given as a YAML list or as one comma-separated string. */
export function listField() {
  return z.union([z.array(z.string().min(1)), z.string()]).transform((value) =>
    Array.isArray(value)
      ? value
      : value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
  );
}

/**
 * An optional text that a template may render empty: empty (or blank) means "not
 * given", so a runbook can pass `"{{ params.etcdName }}"` whose default is "" and let
 * the action read the value from the host's etcd manifest instead.
 */
export const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/**
 * A file mode: an octal string ("0644", "600", "0o640") or a number. YAML 1.2 reads an
 * unquoted 0644 as the DECIMAL 644 (= 0o1204: sticky bit, no read for the owner), so a
 * number with bits above 0o777 (setuid, setgid, sticky) is refused, naming the mode it
 * would have been: such a mode is written as a quoted string, on purpose.
 */
export function fileModeField() {
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const refuse = (message: string) => {
        ctx.issues.push({ code: 'custom', input: value, message });
        return z.NEVER;
      };
      if (typeof value === 'string') {
        if (!/^(0o)?[0-7]{3,4}$/.test(value)) return refuse(`expected an octal mode such as "0644" (quoted), got ${JSON.stringify(value)}`);
        return parseInt(value.replace(/^0o/, ''), 8);
      }
      if (!Number.isInteger(value) || value < 0) return refuse(`expected a file mode, got ${value}`);
      if (value > 0o777) return refuse(`mode ${value} is the decimal ${value} (= 0o${value.toString(8)}): YAML reads an unquoted 0${value} as decimal; write it quoted, "0${value}"`);
      return value;
    })
    .optional();
}
