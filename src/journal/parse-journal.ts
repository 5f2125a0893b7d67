// Reading a journal back. Every line the writer acknowledged ends with "\n" and was
// fsync'd, so the only damage a crash (kill -9, power loss) can leave is an incomplete
// LAST line: that line is dropped, as the write it belonged to was never acknowledged.
// Damage anywhere else means the file was changed behind drbook's back, and guessing
// would be worse than stopping: it is an error naming the line.

import { DrbookError } from '../core/errors.js';
import type { JournalEntry, JournalEntryType } from '../core/journal-records.js';

type FieldType = 'string' | 'number' | 'boolean' | 'object' | 'array';

// The fields replay and report rely on, per entry type; extra fields are allowed.
const REQUIRED: Record<JournalEntryType, Record<string, FieldType>> = {
  run: { runId: 'string', runbook: 'object', hosts: 'array', dryRun: 'boolean', pid: 'number', machine: 'string' },
  plan: { steps: 'array' },
  resumed: { pid: 'number' },
  step: { stepId: 'string', state: 'string' },
  host: { stepId: 'string', host: 'string', state: 'string' },
  intent: { stepId: 'string', host: 'string', index: 'number', description: 'string', undoOnFailure: 'boolean', readOnly: 'boolean' },
  result: { stepId: 'string', host: 'string', index: 'number', ok: 'boolean', durationMs: 'number' },
  probe: { stepId: 'string', host: 'string', index: 'number', phase: 'string', verdict: 'string' },
  rollback: { phase: 'string' },
  'undo-intent': { stepId: 'string', host: 'string', index: 'number', description: 'string' },
  'undo-result': { stepId: 'string', host: 'string', index: 'number', ok: 'boolean', durationMs: 'number' },
  end: { state: 'string', exitCode: 'number' },
  'hosts-locked': { hosts: 'array' },
};

export interface ParsedJournal {
  entries: JournalEntry[];
  /** The incomplete last line a crash left, if any (dropped from `entries`). */
  tornLine?: { lineNo: number; text: string };
  /** True when the last line is complete but lacks its "\n" (the writer adds it before appending). */
  missingFinalNewline: boolean;
}

/** Parse journal text; `file` is only used in messages. */
export function parseJournal(text: string, file: string): ParsedJournal {
  const lines = text.split('\n');
  const last = lines.pop() ?? ''; // "" when the text ends with "\n"
  const entries: JournalEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const checked = checkLine(line);
    if (typeof checked === 'string') {
      throw new DrbookError('journal', `${file}:${i + 1}: corrupt journal entry: ${checked}`, {
        hint: 'only the last line of a journal can be incomplete (a crash mid-write); this one is in the middle, so the file was changed by something other than drbook. Restore it from a backup or fix that line by hand.',
      });
    }
    entries.push(checked);
  });
  const parsed: ParsedJournal = { entries, missingFinalNewline: false };
  if (last.trim() !== '') {
    const checked = checkLine(last);
    if (typeof checked === 'string') parsed.tornLine = { lineNo: lines.length + 1, text: last };
    else {
      entries.push(checked);
      parsed.missingFinalNewline = true;
    }
  }
  return parsed;
}

/** The entry, or what is wrong with the line. */
function checkLine(line: string): JournalEntry | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not valid JSON (${(error as Error).message}): ${preview(line)}`;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return `expected a JSON object, found ${preview(line)}`;
  const record = value as Record<string, unknown>;
  const type = record.t;
  if (typeof type !== 'string' || !(type in REQUIRED)) {
    return `unknown entry type ${JSON.stringify(type)}, expected one of ${Object.keys(REQUIRED).join(', ')}`;
  }
  if (typeof record.at !== 'string') return `entry "${type}" lacks its time ("at")`;
  for (const [key, expected] of Object.entries(REQUIRED[type as JournalEntryType])) {
    const actual = Array.isArray(record[key]) ? 'array' : record[key] === null ? 'null' : typeof record[key];
    if (actual !== expected) return `entry "${type}": field "${key}" should be ${expected === 'array' ? 'an array' : `a ${expected}`}, found ${actual}`;
  }
  return record as unknown as JournalEntry;
}

function preview(line: string): string {
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}
