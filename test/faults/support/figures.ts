// One line of figures per case group, e.g.
//   faults: kill-after-entry single-master: 23 points, rollback ok 12/12, resume ok 11/11, data lost 0, false undone 0, false done 0, stray 0, locks left 0, 41 s
// printed on stdout (node's test runner shows it) and, when DRBOOK_FAULTS_FIGURES names a
// file, appended there (the sweep script collects them).

import { appendFileSync } from 'node:fs';

export interface Figures {
  group: string;
  points: number;
  rollback: { ok: number; total: number };
  resume: { ok: number; total: number };
  /** Recoveries whose exit code does not say what the hosts are in (other than false undone/done). */
  wrongExit: number;
  dataLost: number;
  falseUndone: number;
  falseDone: number;
  stray: number;
  locksLeft: number;
  started: number;
  failures: string[];
}

export function newFigures(group: string): Figures {
  return {
    group,
    points: 0,
    rollback: { ok: 0, total: 0 },
    resume: { ok: 0, total: 0 },
    wrongExit: 0,
    dataLost: 0,
    falseUndone: 0,
    falseDone: 0,
    stray: 0,
    locksLeft: 0,
    started: Date.now(),
    failures: [],
  };
}

export function formatFigures(f: Figures): string {
  const seconds = Math.round((Date.now() - f.started) / 1000);
  return (
    `faults: ${f.group}: ${f.points} points, rollback ok ${f.rollback.ok}/${f.rollback.total}, resume ok ${f.resume.ok}/${f.resume.total}, ` +
    `data lost ${f.dataLost}, false undone ${f.falseUndone}, false done ${f.falseDone}, wrong exit ${f.wrongExit}, stray ${f.stray}, locks left ${f.locksLeft}, ${seconds} s`
  );
}

export function printFigures(f: Figures): string {
  const line = formatFigures(f);
  console.log(line);
  for (const failure of f.failures) console.log(`faults:   ${failure}`);
  if (process.env.DRBOOK_FAULTS_FIGURES) appendFileSync(process.env.DRBOOK_FAULTS_FIGURES, `${line}\n${f.failures.map((x) => `  ${x}\n`).join('')}`);
  return line;
}

/** The full sweep runs with DRBOOK_FAULTS=full (npm run test:faults); npm test runs the sample. */
export const FULL = process.env.DRBOOK_FAULTS === 'full';

/** A deterministic sample: the items at the given fractions of the list (no duplicates). */
export function sampleAt<T>(items: T[], fractions: number[]): T[] {
  const picked = new Set<number>();
  for (const f of fractions) picked.add(Math.min(items.length - 1, Math.max(0, Math.round(f * (items.length - 1)))));
  return [...picked].sort((a, b) => a - b).map((i) => items[i]!);
}
