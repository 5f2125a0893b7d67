// Fault injection for the crash tests (like etcd's gofail): OFF unless DRBOOK_FAULT is
// set, and then it kills this very process with SIGKILL — no handler, no cleanup, no
// journal entry — at a chosen point, exactly like `kill -9` would, but deterministically.
// Points (comma-separated):
//
//   kill-after-entry:N                   once the journal's N-th line (the header is 1) is on disk
//   kill-before-result:STEP:HOST:INDEX   after change INDEX of STEP on HOST ran (its effect is on
//                                        the host), before its result is journaled
//   kill-before-undo-result:STEP:HOST:INDEX   the same for an undo during a rollback
//   enospc-after-entry:N                 every journal write after line N fails as on a full
//                                        disk (the run must stop and say what the hosts are in)
//
// e.g. DRBOOK_FAULT=kill-before-result:stop-control-plane:node1:1 drbook run ...

export type FaultPoint =
  { kind: 'kill-after-entry'; line: number } | { kind: 'kill-before-result' | 'kill-before-undo-result'; stepId: string; host: string; index: number } | { kind: 'enospc-after-entry'; line: number };

/** Parse DRBOOK_FAULT; an unknown spelling is an error (a typo must not silently test nothing). */
export function parseFaults(spec: string | undefined): FaultPoint[] {
  if (!spec?.trim()) return [];
  return spec.split(',').map((part) => {
    const [kind, ...rest] = part.trim().split(':');
    if ((kind === 'kill-after-entry' || kind === 'enospc-after-entry') && rest.length === 1 && /^\d+$/.test(rest[0]!)) return { kind, line: Number(rest[0]) };
    if ((kind === 'kill-before-result' || kind === 'kill-before-undo-result') && rest.length === 3 && /^\d+$/.test(rest[2]!)) {
      return { kind, stepId: rest[0]!, host: rest[1]!, index: Number(rest[2]) };
    }
    throw new Error(`DRBOOK_FAULT: cannot read "${part}" (expected kill-after-entry:N, enospc-after-entry:N, kill-before-result:STEP:HOST:INDEX or kill-before-undo-result:STEP:HOST:INDEX)`);
  });
}

let parsed: { spec: string | undefined; points: FaultPoint[] } | undefined;
function active(): FaultPoint[] {
  const spec = process.env.DRBOOK_FAULT;
  if (!parsed || parsed.spec !== spec) parsed = { spec, points: parseFaults(spec) };
  return parsed.points;
}

function killNow(why: string): never {
  process.stderr.write(`DRBOOK_FAULT: SIGKILL ${why}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not end the process');
}

/** Called once journal line `line` is durable. */
export function afterJournalLine(line: number): void {
  for (const p of active()) if (p.kind === 'kill-after-entry' && p.line === line) killNow(`after journal line ${line}`);
}

/** True when the write of journal line `line` must fail as on a full disk. */
export function journalWriteFails(line: number): boolean {
  return active().some((p) => p.kind === 'enospc-after-entry' && line > p.line);
}

/** Called after a change (or an undo) ran, before its result is journaled. */
export function beforeResult(kind: 'change' | 'undo', stepId: string, host: string, index: number): void {
  const want = kind === 'change' ? 'kill-before-result' : 'kill-before-undo-result';
  for (const p of active()) if (p.kind === want && p.stepId === stepId && p.host === host && p.index === index) killNow(`before the ${kind} result of ${stepId}/${host}#${index}`);
}
