// The run journal on disk: `<stateDir>/runs/<runId>/journal.jsonl`, one JSON entry
// per line. write() resolves only once its line is fsync'd, because the engine awaits
// it before touching a host: an intent that is not on disk must not have happened.
// Parallel hosts write concurrently; lines are queued in call order and the lines
// that arrive while an fsync is running share the next one (group commit), so N hosts
// cost far fewer than N fsyncs while every write() still resolves only when durable.

import { chmod, mkdir, open, readFile, truncate, appendFile, type FileHandle } from 'node:fs/promises';
import { DrbookError } from '../core/errors.js';
import { syncPath } from '@drbook/system';
import { parseJournal } from './parse-journal.js';
import type { JournalEntry, RunHeader } from '../core/journal-records.js';
import { journalPath, runDir, runsDir } from './state-dir.js';

interface Pending {
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class JournalWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private failure: DrbookError | undefined;
  private closed = false;

  private constructor(
    readonly runId: string,
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Start the journal of a new run: creates its folder (0700) and writes the header. Refuses an existing run id. */
  static async create(stateDir: string, header: RunHeader): Promise<JournalWriter> {
    const dir = runDir(stateDir, header.runId);
    await mkdir(runsDir(stateDir), { recursive: true, mode: 0o700 });
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new DrbookError('journal', `run ${header.runId} already exists (${dir}); a run id is never reused`, {
          hint: 'start the run again for a new id, or `drbook resume ' + header.runId + '` to continue that run',
        });
      }
      throw new DrbookError('journal', `cannot create the run folder ${dir}: ${(error as Error).message}`, { cause: error });
    }
    await chmod(dir, 0o700); // mkdir's mode is filtered by the umask
    const path = journalPath(stateDir, header.runId);
    const handle = await open(path, 'wx', 0o600);
    const writer = new JournalWriter(header.runId, path, handle);
    await writer.write(header);
    // The new file's name lives in the folder, and the folder's in runs/: make both durable.
    await syncPath(dir);
    await syncPath(runsDir(stateDir));
    return writer;
  }

  /** Reopen a run's journal to add to it (resume, rollback). Drops an incomplete last line a crash left. */
  static async append(stateDir: string, runId: string): Promise<JournalWriter> {
    const path = journalPath(stateDir, runId);
    const text = await readJournalText(stateDir, runId);
    const parsed = parseJournal(text, path);
    if (parsed.tornLine) {
      // Appending after a torn line would glue the next entry onto it and corrupt the middle of the file.
      await truncate(path, Buffer.byteLength(text) - Buffer.byteLength(parsed.tornLine.text));
    } else if (parsed.missingFinalNewline) {
      await appendFile(path, '\n');
    }
    const handle = await open(path, 'a');
    await handle.sync();
    return new JournalWriter(runId, path, handle);
  }

  /** Append one entry; resolves once it is on disk. Entries land in the order write() was called. */
  write(entry: JournalEntry): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new DrbookError('internal', `journal ${this.path} is closed; cannot write a "${entry.t}" entry`));
    let line: string;
    try {
      line = JSON.stringify(entry) + '\n';
    } catch (error) {
      return Promise.reject(new DrbookError('internal', `cannot serialise a "${entry.t}" journal entry: ${(error as Error).message}`, { cause: error }));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.startFlushing();
    });
  }

  /** Wait for every pending write, then close the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.handle.close();
  }

  private startFlushing(): void {
    if (this.flushing) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.startFlushing(); // queued after the loop's last look
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        if (this.failure) throw this.failure;
        await writeAll(this.handle, Buffer.from(batch.map((p) => p.line).join('')));
        await this.handle.datasync();
        for (const p of batch) p.resolve();
      } catch (error) {
        // A failed write may have left part of a line: nothing more may follow it, or the
        // damage would sit in the middle of the file. The engine must stop.
        this.failure ??= new DrbookError('journal', `cannot write the journal ${this.path}: ${(error as Error).message}`, {
          cause: error,
          hint: 'check free space and permissions of the state dir; the run cannot go on without its journal',
        });
        for (const p of batch) p.reject(this.failure);
      }
    }
  }
}

/** Every entry of a run's journal, in order. Tolerates the incomplete last line a crash leaves. */
export async function readJournal(stateDir: string, runId: string): Promise<JournalEntry[]> {
  const path = journalPath(stateDir, runId);
  const { entries } = parseJournal(await readJournalText(stateDir, runId), path);
  const header = entries[0];
  if (!header || header.t !== 'run') {
    throw new DrbookError('journal', `${path}:1: the journal does not start with its run header`, {
      hint: 'the run was probably killed while it was being created; it changed nothing and can be deleted',
    });
  }
  if (header.runId !== runId) {
    throw new DrbookError('journal', `${path}:1: the header names run ${header.runId}, but the folder is run ${runId}`);
  }
  return entries;
}

async function readJournalText(stateDir: string, runId: string): Promise<string> {
  const path = journalPath(stateDir, runId);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DrbookError('input', `no run ${runId} in the state dir ${stateDir} (no ${path})`, {
        hint: `run \`drbook runs --state-dir ${stateDir}\` to list the runs and their ids`,
      });
    }
    throw new DrbookError('journal', `cannot read the journal ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}
