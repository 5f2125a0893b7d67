// The one place where the engine's history is written: every journal entry and every
// event passes through the secret masker here, so no code path can forget it. The
// entries are also kept in memory: an in-process rollback replays them exactly as
// `drbook rollback` replays the file after a crash.

import type { JournalEntry } from '../journal/records.js';
import type { JournalWriter } from '../journal/journal.js';
import type { Masker } from '../shell/masker.js';
import type { EventBus, RunEvent } from './events.js';

type WithoutTime<T> = T extends unknown ? Omit<T, 'at'> : never;
export type NewJournalEntry = WithoutTime<JournalEntry>;

export class RunRecorder {
  readonly entries: JournalEntry[];
  /**
   * Awaited before the intent of a change (or of an undo) on a host is journaled: the
   * run's host lock is made sure of and its marker written there (src/hostlock). A
   * rejection stops the change before it is journaled or begun.
   */
  beforeChange?: (host: string, kind: 'change' | 'undo') => Promise<void>;

  constructor(
    private readonly writer: JournalWriter | undefined,
    readonly bus: EventBus,
    readonly masker: Masker,
    previous: JournalEntry[] = [],
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.entries = [...previous];
  }

  /** Append to the journal; resolves once the entry is on disk (fsync'd). */
  async record(entry: NewJournalEntry): Promise<void> {
    if (entry.t === 'intent' && !entry.readOnly) await this.beforeChange?.(entry.host, 'change');
    else if (entry.t === 'undo-intent') await this.beforeChange?.(entry.host, 'undo');
    const full = this.masker.maskDeep({ ...entry, at: this.clock().toISOString() }) as JournalEntry;
    this.entries.push(full);
    await this.writer?.write(full);
  }

  emit(event: RunEvent): void {
    this.bus.emit(this.masker.maskDeep(event));
  }

  async close(): Promise<void> {
    await this.writer?.close();
  }
}
