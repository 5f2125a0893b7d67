// Reading a run back for resume and rollback: its journal, and the runbook and
// inventory it ran with, refusing files that changed since (resume re-plans with them,
// so they must be the same ones).

import { DrbookError, InputError } from '../core/errors.js';
import { builtinInventory, loadInventory } from '../inventory/load.js';
import type { Host, Inventory } from '../core/inventory.js';
import { readJournal } from '../journal/journal.js';
import type { JournalEntry, RunHeader } from '../core/journal-records.js';
import { replayJournal, type RunHistory } from '../journal/replay.js';
import { summarizeRun, type RunSummary } from '../journal/runs.js';
import { loadRunbook } from '../runbook/load.js';
import { builtinActions } from '../actions/registry.js';
import type { Runbook } from '../runbook/types.js';

export interface StoredRun {
  entries: JournalEntry[];
  header: RunHeader;
  history: RunHistory;
  summary: RunSummary;
}

export async function readStoredRun(stateDir: string, runId: string): Promise<StoredRun> {
  const entries = await readJournal(stateDir, runId);
  const history = replayJournal(entries);
  const summary = summarizeRun(history);
  if (summary.state === 'running') {
    throw new DrbookError('locked', `run ${runId} is still running (pid ${summary.pid} on ${summary.machine})`, { hint: 'interrupt it first (Ctrl-C or kill PID), or wait for it to end' });
  }
  return { entries, header: history.header, history, summary };
}

/** The inventory the run used; `strict` refuses one that changed since. */
export async function loadRunInventory(header: RunHeader, strict: boolean): Promise<{ inventory: Inventory; warning?: string }> {
  if (!header.inventory) return { inventory: builtinInventory() };
  const inventory = await loadInventory(header.inventory.file);
  if (inventory.sha256 === header.inventory.sha256) return { inventory };
  const message = `the inventory ${header.inventory.file} changed since run ${header.runId} was journaled`;
  if (strict) throw new InputError(message, `resume needs the same inventory; restore it, or undo the run with: drbook rollback ${header.runId}`);
  return { inventory, warning: `${message}; using it as it is now` };
}

export async function loadRunRunbook(header: RunHeader): Promise<Runbook> {
  const runbook = await loadRunbook(header.runbook.file, builtinActions);
  if (runbook.sha256 !== header.runbook.sha256) {
    throw new InputError(
      `the runbook ${header.runbook.file} changed since run ${header.runId} was journaled (sha256 ${header.runbook.sha256.slice(0, 12)}… then, ${runbook.sha256.slice(0, 12)}… now)`,
      `resume re-plans with the runbook, so it must be the same one; restore it, or undo the run with: drbook rollback ${header.runId}`,
    );
  }
  return runbook;
}

/** The journaled run's hosts, as the inventory defines them now. */
export function hostsOfRun(header: RunHeader, inventory: Inventory): Host[] {
  return header.hosts.map((name) => {
    const host = inventory.hosts[name];
    if (!host) throw new InputError(`host ${name} of run ${header.runId} is not in the inventory any more`);
    return host;
  });
}
