// Masking output that arrives in chunks (one stream of one command). A secret may be
// split across two chunks: the end of each chunk that could be the start of a secret is
// held back until the next chunk shows whether it is, and everything passed on has
// been masked first. What is held back is at most one secret's length minus one.

import { MASK } from './command.js';
import type { Masker } from './masker.js';

export class StreamMasker {
  private pending = '';

  constructor(private readonly masker: Masker) {}

  /** Takes a chunk; returns the text that is safe to show now (may be empty). */
  push(chunk: string): string {
    if (this.masker.empty) {
      const out = this.pending + chunk;
      this.pending = '';
      return out;
    }
    const masked = this.masker.mask(this.pending + chunk);
    const held = longestSecretPrefixAtEnd(masked, this.masker.secrets);
    this.pending = masked.slice(masked.length - held.length);
    return masked.slice(0, masked.length - held.length);
  }

  /**
   * The stream ended: what was held back. It is the start of a secret that never
   * finished (a command killed while printing it): masked too, unless it is so short
   * (one or two characters, under half the secret) that it reveals nothing.
   */
  end(): string {
    const rest = this.pending;
    this.pending = '';
    if (rest === '') return '';
    const held = longestSecretPrefixAtEnd(rest, this.masker.secrets);
    if (held.length === rest.length && (rest.length >= 3 || rest.length * 2 >= held.secretLength)) return MASK;
    return rest;
  }
}

/**
 * The longest suffix of `text` that is a proper prefix of one of `secrets` (KMP over
 * `secret + separator + tail of text`: linear in the secret's length per chunk).
 */
export function longestSecretPrefixAtEnd(text: string, secrets: readonly string[]): { length: number; secretLength: number } {
  let best = { length: 0, secretLength: 0 };
  for (const secret of secrets) {
    if (secret.length < 2) continue;
    const tail = text.slice(-(secret.length - 1));
    const length = overlap(secret, tail);
    if (length > best.length) best = { length, secretLength: secret.length };
  }
  return best;
}

/** Length of the longest prefix of `pattern` that is a suffix of `text` (text shorter than pattern). */
function overlap(pattern: string, text: string): number {
  const failure = new Int32Array(pattern.length);
  for (let i = 1, k = 0; i < pattern.length; i++) {
    while (k > 0 && pattern[i] !== pattern[k]) k = failure[k - 1]!;
    if (pattern[i] === pattern[k]) k++;
    failure[i] = k;
  }
  let k = 0;
  for (let i = 0; i < text.length; i++) {
    while (k > 0 && (k === pattern.length || text[i] !== pattern[k])) k = failure[k - 1]!;
    if (text[i] === pattern[k]) k++;
  }
  return k === pattern.length ? failure[k - 1]! : k;
}
