// The one place where the engine's history is written: every journal entry and every
// event passes through the secret masker here, so no code path can forget it. The
// entries are also kept in memory: an in-process rollback replays them exactly as
// `drbook rollback` replays the file after a crash.
//
// When the journal cannot be written (a full disk, a state dir gone read-only) the run
// must stop: no change may start whose intent is not on disk. The recorder then keeps
// every later entry in memory only, tells the engine (onJournalFailure), refuses new
// intents, and lets the rollback run from what it holds; afterwards appendMissing()
// tries to write what the file lacks.

import { DrbookError } from '../core/errors.js';
import { JournalWriter } from '../journal/journal.js';
import { readJournal } from '../journal/journal.js';
import type { JournalEntry } from '../core/journal-records.js';
import type { Masker } from '../shell/masker.js';
import type { EventBus, RunEvent } from '../core/events.js';
import { afterJournalLine, journalWriteFails } from './faults.js';

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
  /** Why the journal could not be written; undefined while it works. */
  journalFailure: DrbookError | undefined;
  /** How many of `entries` are known to be in the file (a prefix). */
  private durable: number;
  private readonly failureListeners: Array<(error: DrbookError) => void> = [];

  constructor(
    private writer: JournalWriter | undefined,
    readonly bus: EventBus,
    readonly masker: Masker,
    previous: JournalEntry[] = [],
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.entries = [...previous];
    this.durable = this.entries.length;
  }

  /** Called once, when the journal first fails (the engine stops the run). */
  onJournalFailure(listener: (error: DrbookError) => void): void {
    this.failureListeners.push(listener);
  }

  /**
   * Append to the journal; resolves once the entry is on disk (fsync'd). When the
   * journal has failed, an intent is refused (its change must not run) and any other
   * entry is kept in memory only.
   */
  async record(entry: NewJournalEntry): Promise<void> {
    if (this.journalFailure && entry.t === 'intent') throw this.journalFailure;
    if (entry.t === 'intent' && !entry.readOnly) await this.beforeChange?.(entry.host, 'change');
    else if (entry.t === 'undo-intent') await this.beforeChange?.(entry.host, 'undo');
    const full = this.masker.maskDeep({ ...entry, at: this.clock().toISOString() }) as JournalEntry;
    const line = this.entries.push(full);
    if (!this.writer || this.journalFailure) return;
    try {
      if (journalWriteFails(line)) throw new DrbookError('journal', `cannot write the journal ${this.writer.path}: ENOSPC: no space left on device (injected by DRBOOK_FAULT)`);
      await this.writer.write(full);
    } catch (error) {
      this.fail(error);
      if (entry.t === 'intent') throw this.journalFailure!;
      return;
    }
    this.durable = Math.max(this.durable, line);
    afterJournalLine(line);
  }

  emit(event: RunEvent): void {
    this.bus.emit(this.masker.maskDeep(event));
  }

  /**
   * After a journal failure: append to the file what it lacks (reopened, a torn last
   * line dropped). Resolves with undefined when the file is complete again, else with
   * why not.
   */
  async appendMissing(stateDir: string, runId: string): Promise<string | undefined> {
    if (!this.journalFailure) return undefined;
    try {
      // The writer is the one that failed: closing it may fail the same way; what is on disk is read next.
      await this.writer?.close().catch(() => undefined);
      const onDisk = await readJournal(stateDir, runId);
      const missing = this.entries.slice(onDisk.length);
      if (JSON.stringify(onDisk.at(-1)) !== JSON.stringify(this.entries[onDisk.length - 1])) {
        return `the journal on disk (${onDisk.length} entries) does not end where this run's record says; left as it is`;
      }
      if (journalWriteFails(this.entries.length)) throw new Error('ENOSPC: no space left on device (injected by DRBOOK_FAULT)');
      const writer = await JournalWriter.append(stateDir, runId);
      try {
        for (const entry of missing) await writer.write(entry);
      } finally {
        await writer.close();
      }
      this.durable = this.entries.length;
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** Entries known to be in the file. */
  get durableCount(): number {
    return this.durable;
  }

  async close(): Promise<void> {
    await this.writer?.close().catch((error: unknown) => {
      if (!this.journalFailure) throw error;
    });
  }

  private fail(error: unknown): void {
    if (this.journalFailure) return;
    this.journalFailure = error instanceof DrbookError && error.kind === 'journal' ? error : new DrbookError('journal', `cannot write the journal: ${(error as Error).message}`, { cause: error });
    for (const listener of this.failureListeners) listener(this.journalFailure);
  }
}
