// The other commands drbook runs in a host's state folder, all while it holds the host
// lock: write a run's marker, remove markers, wait for commands still in flight, finish
// a run, and the wrapper that makes every change's command hold its run's in-flight
// lock (shared) for as long as it runs.

import { raw, sh, type ShellCommand } from '../shell/command.js';
import { LINE_PREFIX } from './holder-script.js';
import { hostPaths } from './paths.js';

const SAY = `say() { printf '${LINE_PREFIX} %s\\n' "$*"; }\n`;

/** Writes stdin (the marker's JSON) to runs/<id>.json atomically (temporary name, rename). */
export function writeMarkerCommand(dir: string, runId: string): ShellCommand {
  const p = hostPaths(dir);
  const temp = `${p.runs}/.${runId}.json.tmp`;
  return sh`umask 077; mkdir -p -- ${p.runs} && cat > ${temp} && mv -f -- ${temp} ${p.marker(runId)} && { sync -- ${p.marker(runId)} ${p.runs} 2>/dev/null || true; }`;
}

export function removeMarkersCommand(dir: string, runIds: string[]): ShellCommand {
  const p = hostPaths(dir);
  return sh`rm -f -- ${runIds.map((id) => p.marker(id))}`;
}

/**
 * The end of a run that ended clean: remove its in-flight lock file and its marker,
 * unless a command of the run is still in flight (an orphan after a lost connection),
 * in which case both stay and it says so: a later run then waits for that command.
 */
export function finishCommand(dir: string, runId: string): ShellCommand {
  const p = hostPaths(dir);
  return sh`f=${p.inflight(runId)}
${raw(SAY)}if [ -e "$f" ] && ! flock -n -x "$f" rm -f -- "$f"; then say inflight; exit 0; fi
rm -f -- ${p.marker(runId)} && say finished
`;
}

/** Wait, up to `seconds` in all, until no command of these runs is in flight (takes each run's lock exclusively, then lets go). */
export function waitInflightCommand(dir: string, runIds: string[], seconds: number): ShellCommand {
  const p = hostPaths(dir);
  return sh`end=$(( $(date +%s) + ${String(Math.max(1, Math.round(seconds)))} ))
${raw(SAY)}for f in ${runIds.map((id) => p.inflight(id))}; do
  [ -e "$f" ] || continue
  w=$(( end - $(date +%s) )); [ "$w" -ge 1 ] || w=1
  n=\${f##*/}
  flock -x -w "$w" "$f" true || { say still-running "\${n%.inflight}"; exit 0; }
done
say free
`;
}

/**
 * A change's command, run while holding its run's in-flight lock (shared). The lock is
 * held by the outer shell only (`8>&-` closes it for the command itself), so a daemon
 * the command leaves behind does not keep it; the outer shell waits for the command,
 * so the lock lasts exactly as long as the command, even after drbook died (kill -9
 * leaves the command running: local commands run in their own process group, remote
 * ones under setsid). The command's parts are kept as they are (secret parts stay
 * secret parts; nothing is pasted into another command's argv).
 */
export function guardCommand(dir: string, runId: string, command: ShellCommand, holderPid?: number): ShellCommand {
  // The run's lock holder must still live: if it ended a moment ago (its connection
  // dropped, someone stopped it) and drbook has not heard yet, the command does not run.
  // A zombie (ended, not yet reaped by its parent) is gone too: /proc says Z.
  const pid = String(holderPid);
  const holderAlive = holderPid
    ? sh`if [ -d /proc/self ]; then s=; read -r s 2>/dev/null < /proc/${pid}/stat; else s=; kill -0 ${pid} 2>/dev/null && s=') S'; fi
case "\${s##*') '}" in ''|Z*|X*) echo ${`drbook: not run: the lock of run ${runId} on this host ended (its holder ${holderPid} is gone)`} >&2; exit 125 ;; esac
`
    : sh``;
  return sh`${holderAlive}{ flock -s 8 || exit 125
(
${command}
) 8>&-
} 8>>${hostPaths(dir).inflight(runId)}`;
}
