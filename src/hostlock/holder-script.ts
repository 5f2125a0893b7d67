// The host lock's holder, as the shell script it runs on the host, and the lines it
// reports. One script does everything a run needs before it may change the host, in
// one round trip: create the folder, take the lock without waiting (flock -n: a held
// lock is refused, never queued behind), say who holds it now (lock.json), list the
// markers of unfinished runs and the runs with a command still in flight; then hold
// the lock until its stdin closes. The kernel releases a flock when its holder dies,
// so a lock is never left behind: drbook killed -9 closes the pipe (locally) or the
// SSH connection, which ends the holder. Over SSH the holder also needs a byte every
// heartbeat: a machine that vanished without closing its TCP connection loses the lock
// after `beatSeconds`, instead of when sshd notices (hours, with OpenSSH's defaults).

import { raw, sh, type ShellCommand } from '../shell/command.js';
import { hostPaths } from './paths.js';
import { isRunIdLike, parseLockInfo, parseMarker, type LockInfo, type MarkerEntry } from './records.js';

export const LINE_PREFIX = 'DRBOOK_HOSTLOCK';

const SAY = `say() { printf '${LINE_PREFIX} %s\\n' "$*"; }\n`;

// Prints every marker (one line each: its run id, its content without newlines).
const LIST_MARKERS = `for f in "$d"/runs/*.json; do
  [ -f "$f" ] || continue
  n=\${f##*/}
  printf '${LINE_PREFIX} marker %s ' "\${n%.json}"; tr -d '\\n' < "$f"; echo
done
`;

export function holderCommand(dir: string, info: Omit<LockInfo, 'holderPid'>, beatSeconds?: number): ShellCommand {
  const paths = hostPaths(dir);
  // lock.json gets the holder's own pid appended by the holder: `{...,"holderPid":N}`.
  const infoPrefix = JSON.stringify(info).slice(0, -1);
  // Only this shell keeps fd 9 (the lock) and drbook's output pipes: its children close
  // them, so stopping the holder process alone (the refusal's hint) releases the lock at
  // once, and drbook sees the holder end at once.
  const hold =
    beatSeconds === undefined
      ? 'cat > /dev/null 2>&1 9>&-\n'
      : `if timeout 1 true > /dev/null 2>&1 9>&-; then
    while n=$(exec 9>&- 2>/dev/null; timeout ${Math.max(1, Math.round(beatSeconds))} head -c 1 | wc -c) && [ $n -gt 0 ]; do :; done
  else
    cat > /dev/null 2>&1 9>&-
  fi
`;
  // A clean release leaves the host as it was: lock file, lock.json and runs/ go, and the
  // folder itself when drbook made it (.drbook-made) and nothing else is left in it:
  // markers stay, and so does a folder the operator made. A holder that finds the lock
  // file replaced under it (removed by a release in between) tries again on the new one.
  return sh`d=${paths.dir}; info=${infoPrefix}
${raw(SAY)}command -v flock >/dev/null 2>&1 || { say no-flock; exit 0; }
umask 077
state=retry; try=0
while [ "$state" = retry ] && [ "$try" -lt 5 ]; do
  try=$((try + 1))
  if [ ! -d "$d" ]; then
    err=$(mkdir -p -- "$d" 2>&1) || { say mkdir-failed "$(printf '%s' "$err" | tr '\\n' ' ')"; exit 0; }
    true > "$d/.drbook-made" 2>/dev/null
  fi
  err=$(mkdir -p -- "$d/runs" 2>&1) || { say mkdir-failed "$(printf '%s' "$err" | tr '\\n' ' ')"; exit 0; }
  {
    if ! flock -n -x 9; then
      state=busy
    elif [ ! -e /dev/fd/9 ] || [ "$d/lock" -ef /dev/fd/9 ]; then
      state=locked
      printf '%s,"holderPid":%s}\\n' "$info" "$$" > "$d/.lock.json.$$" && mv -f -- "$d/.lock.json.$$" "$d/lock.json"
${raw(LIST_MARKERS)}      for f in "$d"/runs/*.inflight; do
        [ -f "$f" ] || continue
        n=\${f##*/}
        flock -n -x "$f" true 2>/dev/null || say inflight "\${n%.inflight}"
      done
      say locked "$$"
      ${raw(hold)}      rm -f -- "$d/lock.json" "$d/lock"
      rmdir -- "$d/runs" 2>/dev/null
      if [ "$(ls -A "$d" 2>/dev/null)" = .drbook-made ]; then rm -f -- "$d/.drbook-made"; rmdir -- "$d" 2>/dev/null; fi
    fi
    true
  } 9>>"$d/lock"
done
case $state in
  busy)
    say busy
    if [ -r "$d/lock.json" ]; then printf '%s holder ' ${LINE_PREFIX}; tr -d '\\n' < "$d/lock.json"; echo; fi ;;
  retry) say open-failed ;;
esac
`;
}

/**
 * Read-only look at a host's lock and markers, for a dry-run: it takes no lock (even a
 * moment's flock could make a real run starting at that instant refuse). Whether the
 * lock is held is judged from lock.json's holder process being alive and being a holder.
 */
export function inspectCommand(dir: string): ShellCommand {
  return sh`d=${dir}
${raw(SAY)}command -v flock >/dev/null 2>&1 || say no-flock
if [ -r "$d/lock.json" ]; then
  printf '%s holder ' ${LINE_PREFIX}; tr -d '\\n' < "$d/lock.json"; echo
  p=$(sed -n 's/.*"holderPid":\\([0-9][0-9]*\\).*/\\1/p' "$d/lock.json")
  if [ -n "$p" ] && grep -q ${LINE_PREFIX} "/proc/$p/cmdline" 2>/dev/null; then say holder-alive; fi
fi
${raw(LIST_MARKERS)}say inspected
`;
}

export type HolderLine =
  | { kind: 'no-flock' | 'busy' | 'open-failed' | 'holder-alive' | 'inspected' }
  | { kind: 'mkdir-failed'; message: string }
  | { kind: 'holder'; info?: LockInfo; raw: string }
  | { kind: 'marker'; marker: MarkerEntry }
  | { kind: 'inflight'; runId: string }
  | { kind: 'locked'; holderPid: number };

/** One line of the holder's (or the inspection's) stdout; undefined for anything else. */
export function parseHolderLine(line: string): HolderLine | undefined {
  if (!line.startsWith(`${LINE_PREFIX} `)) return undefined;
  const rest = line.slice(LINE_PREFIX.length + 1);
  const space = rest.indexOf(' ');
  const kind = space < 0 ? rest : rest.slice(0, space);
  const arg = space < 0 ? '' : rest.slice(space + 1);
  switch (kind) {
    case 'no-flock':
    case 'busy':
    case 'open-failed':
    case 'holder-alive':
    case 'inspected':
      return { kind };
    case 'mkdir-failed':
      return { kind, message: arg.trim() };
    case 'holder':
      return { kind, info: parseLockInfo(arg), raw: arg };
    case 'marker': {
      const cut = arg.indexOf(' ');
      const runId = cut < 0 ? arg : arg.slice(0, cut);
      if (!isRunIdLike(runId)) return undefined;
      return { kind, marker: parseMarker(runId, cut < 0 ? '' : arg.slice(cut + 1)) };
    }
    case 'inflight':
      return isRunIdLike(arg) ? { kind, runId: arg } : undefined;
    case 'locked': {
      const pid = Number(arg);
      return Number.isInteger(pid) && pid > 0 ? { kind, holderPid: pid } : undefined;
    }
    default:
      return undefined;
  }
}

/** Splits streamed text into complete lines. */
export class LineSplitter {
  private partial = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.onLine(line);
  }
  end(): void {
    if (this.partial) this.onLine(this.partial);
    this.partial = '';
  }
}
