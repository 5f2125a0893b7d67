// Belt and braces for secrets: besides the Secret parts of commands, every text the
// engine emits (command output, error messages, journal entries) goes through a
// Masker that knows every secret value of the run and replaces it.

import { MASK } from './command.js';

export class Masker {
  private readonly values = new Set<string>();

  add(...secrets: string[]): void {
    // Very short values would mask innocent text everywhere; they are still masked in commands.
    for (const s of secrets) if (s.length >= 3) this.values.add(s);
  }

  mask(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  }

  /** Mask every string inside a JSON-able value. */
  maskDeep<T>(value: T): T {
    if (this.values.size === 0) return value;
    if (typeof value === 'string') return this.mask(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.maskDeep(v)) as T;
    if (value && typeof value === 'object' && value.constructor === Object) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.maskDeep(v)])) as T;
    }
    return value;
  }
}
