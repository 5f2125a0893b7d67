// Belt and braces for secrets: besides the Secret parts of commands, every text the
// engine emits (command output, error messages, journal entries) goes through a
// Masker that knows every secret value of the run and replaces it. Output that arrives
// in chunks goes through a StreamMasker (stream-masker.ts) so a secret split across
// two chunks is masked too.

import { MASK } from './command.js';

/**
 * The shortest secret drbook accepts (params.ts refuses shorter ones when parameters are
 * resolved): a shorter value cannot be told apart from ordinary text, so masking it
 * would garble every output while hiding nothing.
 */
export const MIN_SECRET_LENGTH = 4;

/** Why a secret value cannot be masked, or undefined when it can (empty is fine: nothing to hide). */
export function unmaskableSecretReason(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.replace(/\s/g, '').length < MIN_SECRET_LENGTH) {
    return `a secret must have at least ${MIN_SECRET_LENGTH} characters other than spaces (or be empty), so that it can be masked in output without masking ordinary text`;
  }
  return undefined;
}

export class Masker {
  private readonly added = new Set<string>();
  /** Longest first, so a secret that contains another is masked whole (sorted when next used). */
  private sorted: string[] | undefined = [];

  add(...secrets: string[]): void {
    for (const secret of secrets) {
      if (secret === '' || unmaskableSecretReason(secret) !== undefined || this.added.has(secret)) continue;
      this.added.add(secret);
      this.sorted = undefined;
      // A line-based cut (the last lines of an error) must not keep half of a
      // multi-line secret (a private key): each long enough line is masked on its own.
      if (secret.includes('\n')) {
        for (const line of secret.split('\n')) {
          const trimmed = line.replace(/\r$/, '');
          if (trimmed.replace(/\s/g, '').length >= MIN_SECRET_LENGTH) this.added.add(trimmed);
        }
      }
    }
  }

  /** Every value masked, longest first. */
  get secrets(): readonly string[] {
    this.sorted ??= [...this.added].sort((a, b) => b.length - a.length);
    return this.sorted;
  }

  get empty(): boolean {
    return this.added.size === 0;
  }

  /**
   * Replace every occurrence of every secret. Overlapping occurrences (the end of one
   * secret is the start of another) become one mask, so no piece of either is left.
   */
  mask(text: string): string {
    if (this.added.size === 0 || text === '') return text;
    const ranges: Array<[number, number]> = [];
    for (const value of this.secrets) {
      for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + 1)) ranges.push([at, at + value.length]);
    }
    if (ranges.length === 0) return text;
    ranges.sort((a, b) => a[0] - b[0]);
    let out = '';
    let from = 0;
    let [start, end] = ranges[0]!;
    for (const [s, e] of ranges.slice(1)) {
      if (s < end) end = Math.max(end, e);
      else {
        out += text.slice(from, start) + MASK;
        from = end;
        [start, end] = [s, e];
      }
    }
    return out + text.slice(from, start) + MASK + text.slice(end);
  }

  /** Mask every string inside a JSON-able value. */
  maskDeep<T>(value: T): T {
    if (this.added.size === 0) return value;
    if (typeof value === 'string') return this.mask(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.maskDeep(v)) as T;
    if (value && typeof value === 'object' && value.constructor === Object) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.maskDeep(v)])) as T;
    }
    return value;
  }
}
