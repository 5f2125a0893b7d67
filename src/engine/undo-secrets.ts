// Undo commands keep secrets by name only (the journal never holds a value), so a
// rollback in a new process (`drbook rollback`, or a resume that may roll back) needs
// them again. Every undo that may still run is checked before anything is changed: a
// missing secret is refused up front, naming the param and how to give it, instead of
// a rollback that stops halfway at the first undo that needs it.

import { InputError, type InputIssue } from '../core/errors.js';
import type { JournalEntry } from '../core/journal-records.js';
import type { CommandRecord } from '../shell/command.js';
import { secretEnvName } from '../runbook/params.js';
import { unmaskableSecretReason } from '../shell/masker.js';

/** Throws an InputError naming every secret param that an undo still to run needs and that is not given. */
export function checkUndoSecrets(entries: readonly JournalEntry[], secretsByHost: ReadonlyMap<string, Record<string, string>>): void {
  const undone = new Set(entries.flatMap((e) => (e.t === 'undo-result' && e.ok ? [`${e.stepId}/${e.host}/${e.index}`] : [])));
  const missing = new Map<string, string[]>(); // param → where it is needed
  const unmaskable = new Map<string, string>();
  for (const entry of entries) {
    if (entry.t !== 'intent') continue;
    if (undone.has(`${entry.stepId}/${entry.host}/${entry.index}`)) continue;
    // The undo command, and the change's "did it happen?" check where the journal has one: both run in a rollback.
    const check = (entry as { check?: CommandRecord }).check;
    const records = [...(entry.undo && 'command' in entry.undo ? [entry.undo.command] : []), ...(Array.isArray(check) ? [check] : [])];
    const given = secretsByHost.get(entry.host) ?? {};
    for (const part of records.flat()) {
      if (part.t !== 'secret') continue;
      const value = given[part.name];
      if (value === undefined) {
        const where = `step \`${entry.stepId}\` on ${entry.host}`;
        const list = missing.get(part.name) ?? [];
        if (!list.includes(where)) list.push(where);
        missing.set(part.name, list);
      } else {
        const reason = unmaskableSecretReason(value);
        if (reason) unmaskable.set(part.name, reason);
      }
    }
  }
  const issues: InputIssue[] = [
    ...[...missing].map(([name, where]) => ({
      message:
        `the undo of ${where.slice(0, 3).join(', ')}${where.length > 3 ? ` and ${where.length - 3} more` : ''} needs the secret param \`${name}\`, ` +
        `which is never journaled: give it again with -p ${name}=... or in the environment as ${secretEnvName(name)}`,
    })),
    ...[...unmaskable].map(([name, reason]) => ({ message: `secret param \`${name}\` is refused: ${reason}` })),
  ];
  if (issues.length > 0) throw new InputError(issues, 'nothing was changed; run the same command again with the secrets');
}
