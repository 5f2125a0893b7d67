// The output of one change's commands, on its way to the display and the journal.
// Each stream is masked as a stream (a secret split across chunks is still masked),
// then shown live, and the last lines are kept for the journal and the report, so a
// post-incident write-up shows what the failing command said. Masking comes before
// any cut: a kept tail never starts or ends inside a secret.

import type { Masker } from '../shell/masker.js';
import { StreamMasker } from '../shell/stream-masker.js';

export type OutputStream = 'stdout' | 'stderr';

export class OutputTail {
  private text = '';
  private readonly streams: Record<OutputStream, StreamMasker>;

  constructor(
    masker: Masker,
    /** Live display of the masked text. */
    private readonly show?: (stream: OutputStream, text: string) => void,
    private readonly maxLines = 20,
    private readonly maxChars = 4000,
  ) {
    this.streams = { stdout: new StreamMasker(masker), stderr: new StreamMasker(masker) };
  }

  push(stream: OutputStream, chunk: string): void {
    this.keep(stream, this.streams[stream].push(chunk));
  }

  /** The commands ended: pass on what each stream held back. */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) this.keep(stream, this.streams[stream].end());
  }

  /** The kept tail (flushes first). */
  toString(): string {
    this.flush();
    const lines = this.text.replace(/\s+$/, '').split('\n');
    return lines.slice(-this.maxLines).join('\n').slice(-this.maxChars);
  }

  private keep(stream: OutputStream, safe: string): void {
    if (safe === '') return;
    this.show?.(stream, safe);
    this.text += safe;
    if (this.text.length > this.maxChars * 2) this.text = this.text.slice(-this.maxChars);
  }
}
