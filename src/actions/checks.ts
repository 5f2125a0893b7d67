// The building blocks of "did it happen?" checks (see CheckVerdict in action.ts), and
// of undo commands that are safe to run twice. A check is a read-only shell command
// carried as data, so it must say everything from the host alone: the identity of what
// a change moves is taken at plan time and written into the check (a file by its
// SHA-256, a directory by its device:inode), and the check compares the host with it.
//
// Every check prints one verdict line: `applied: ...`, `reverted: ...` or
// `cannot tell: ...`. Values are quoted by `sh`; the shell variables ($f, $t, ...) are
// the check's own.

import { posix } from 'node:path';
import { raw, sh, ShellCommand } from '../shell/command.js';
import type { ActionContext } from '../core/action.js';

/**
 * `drbook_id PATH` prints what is at PATH: `absent`, `sha256 <hex>` (a regular file),
 * `inode <dev>:<ino>` (a directory), `symlink <target>` or `other <dev>:<ino>`.
 * The same function computes identities at plan time and compares them in checks.
 */
export const ID_FUNCTION = raw(
  `drbook_id() { if [ -L "$1" ]; then echo "symlink $(readlink -- "$1")"; ` +
    `elif [ -d "$1" ]; then echo "inode $(stat -c %d:%i -- "$1")"; ` +
    `elif [ -f "$1" ]; then echo "sha256 $(sha256sum < "$1" | cut -d ' ' -f 1)"; ` +
    `elif [ -e "$1" ]; then echo "other $(stat -c %d:%i -- "$1")"; else echo absent; fi; }; `,
);

/** What is at `path` on the host now, as drbook_id prints it (e.g. `sha256 9f86…`, `inode 2049:131`, `absent`). */
export async function probeIdentity(ctx: Pick<ActionContext, 'probe' | 'host'>, path: string, timeoutMs = 30 * 60_000): Promise<string> {
  return (await probeIdentities(ctx, [path], timeoutMs))[0]!;
}

/** probeIdentity for several paths in one command (one process, one SSH channel). */
export async function probeIdentities(ctx: Pick<ActionContext, 'probe' | 'host'>, paths: string[], timeoutMs = 30 * 60_000): Promise<string[]> {
  if (paths.length === 0) return [];
  const result = await ctx.probe(sh`${ID_FUNCTION}for p in ${paths}; do drbook_id "$p"; done`, { timeoutMs });
  const lines = result.stdout.split('\n').filter((l) => l !== '');
  const valid = /^(absent|sha256 [0-9a-f]{64}|inode \d+:\d+|symlink .*|other \d+:\d+)$/;
  if (result.exitCode !== 0 || lines.length !== paths.length || !lines.every((l) => valid.test(l))) {
    throw new Error(
      `cannot tell what ${paths.join(', ')} ${paths.length > 1 ? 'are' : 'is'} on ${ctx.host.name} (drbook_id exited ${result.exitCode ?? result.signal}): ${result.stderr.trim() || result.stdout.trim() || 'no output'}`,
    );
  }
  return lines;
}

export interface MoveCheckSpec {
  from: string;
  to: string;
  /** drbook_id of `from` at plan time. */
  identity: string;
  /** drbook_id of `to` before the move when something is expected there afterwards too (an identical copy, a kept-aside file put back); default: absent. */
  toBefore?: string;
}

/** A rename: applied = `to` holds the item and `from` is gone; reverted = `from` holds it again and `to` is as it was. */
export function moveCheck({ from, to, identity, toBefore = 'absent' }: MoveCheckSpec): ShellCommand {
  return cat(
    sh`${ID_FUNCTION}f=$(drbook_id ${from}); t=$(drbook_id ${to}); `,
    sh`if [ "$f" = ${identity} ] && { [ "$t" = absent ] || [ "$t" = ${toBefore} ]; }; then echo "reverted: "${from}" holds it again"; `,
    sh`elif [ "$t" = ${identity} ] && [ "$f" = absent ]; then echo "applied: "${to}" holds it, "${from}" is gone"; `,
    sh`else echo "cannot tell: "${from}" is $f, "${to}" is $t (the moved item is "${identity}")"; fi`,
  );
}

/** Only `path`'s holder matters: applied = `path` holds `identity`; reverted = it does not (the item is elsewhere or gone). */
export function holdsCheck(path: string, identity: string, elsewhere: string): ShellCommand {
  return cat(
    sh`${ID_FUNCTION}c=$(drbook_id ${path}); if [ "$c" = ${identity} ]; then echo "applied: "${path}" holds "${identity}; `,
    sh`else echo "reverted: "${path}" does not hold it (it is $c; "${elsewhere}" is $(drbook_id ${elsewhere}))"; fi`,
  );
}

/** A kept-aside original: applied = `keptAt` holds it; reverted = it is back at `original` and `keptAt` is empty. */
export function keptCheck(original: string, keptAt: string, identity: string): ShellCommand {
  return cat(
    sh`${ID_FUNCTION}c=$(drbook_id ${original}); k=$(drbook_id ${keptAt}); `,
    sh`if [ "$k" = ${identity} ]; then echo "applied: the original is kept at "${keptAt}; `,
    sh`elif [ "$c" = ${identity} ] && [ "$k" = absent ]; then echo "reverted: "${original}" is the original again"; `,
    sh`else echo "cannot tell: "${original}" is $c, "${keptAt}" is $k (the original is "${identity}")"; fi`,
  );
}

/** Folders created with `mkdir -p` (deepest first): applied while the topmost one exists. */
export function createdDirsCheck(created: string[]): ShellCommand {
  const top = created.at(-1)!;
  return sh`if [ -e ${top} ] || [ -L ${top} ]; then echo "applied: "${top}" exists"; else echo "reverted: "${top}" does not exist"; fi`;
}

/** Remove the folders a change created (deepest first) that exist and are empty; a no-op when run again. */
export function removeEmptyDirs(created: string[]): ShellCommand {
  return sh`for d in ${created}; do if [ -d "$d" ] && [ ! -L "$d" ]; then rmdir -- "$d" 2>/dev/null || true; fi; done`;
}

/**
 * Move `src` to `dst` only when `dst` does not exist: `mv a b` with b an existing
 * directory would move a INTO b. Nothing to move (src gone) is not an error: the
 * change's check tells whether the state is the one wanted.
 */
export function guardedMove(src: string, dst: string): ShellCommand {
  return sh`if [ -e ${src} ] || [ -L ${src} ]; then if [ -e ${dst} ] || [ -L ${dst} ]; then echo "drbook: "${dst}" exists: not moving "${src}" onto it" >&2; exit 1; fi; mv -- ${src} ${dst}; fi`;
}

/** Run `command` with "$p" set to wherever the item with `identity` is (`first` or `second`); nothing when it is at neither. */
export function atItem(first: string, second: string, identity: string, command: ShellCommand): ShellCommand {
  return sh`${ID_FUNCTION}if [ "$(drbook_id ${first})" = ${identity} ]; then p=${first}; elif [ "$(drbook_id ${second})" = ${identity} ]; then p=${second}; else exit 0; fi; ${command}`;
}

/** Owner and mode (`uid:gid mode`, stat's `%u:%g %a`) of the item with `identity`, wherever it is: applied = `after`, reverted = `before` or the item is gone. */
export function ownerModeCheck(first: string, second: string, identity: string, before: string, after: string): ShellCommand {
  return cat(
    sh`${ID_FUNCTION}if [ "$(drbook_id ${first})" = ${identity} ]; then p=${first}; elif [ "$(drbook_id ${second})" = ${identity} ]; then p=${second}; `,
    sh`else echo "reverted: the directory is gone from "${first}" and "${second}; exit 0; fi; m=$(stat -c '%u:%g %a' -- "$p"); `,
    sh`if [ "$m" = ${before} ]; then echo "reverted: $p has $m"; elif [ "$m" = ${after} ]; then echo "applied: $p has $m"; `,
    sh`else echo "cannot tell: $p has $m ("${before}" before, "${after}" after the change)"; fi`,
  );
}

/**
 * A file a change writes (an upload, a copy): applied = `path` holds `sha256` (or a
 * `.part` of it is left); reverted = `path` is as before (`before`: absent or its old identity).
 */
export function writtenFileCheck(path: string, sha256: string, before: string): ShellCommand {
  const part = `${path}.part`;
  return cat(
    sh`${ID_FUNCTION}d=$(drbook_id ${path}); if [ "$d" = ${`sha256 ${sha256}`} ]; then echo "applied: "${path}" is the new file"; `,
    sh`elif [ -e ${part} ]; then echo "applied: a partial copy "${part}" is left"; `,
    sh`elif [ "$d" = ${before} ]; then echo "reverted: "${path}" is as before ($d)"; `,
    sh`else echo "cannot tell: "${path}" is $d (new: sha256 "${sha256}", before: "${before}")"; fi`,
  );
}

/** Remove the file a change wrote, only when it is still that file, and its `.part`. */
export function removeWrittenFile(path: string, sha256: string): ShellCommand {
  return sh`${ID_FUNCTION}if [ "$(drbook_id ${path})" = ${`sha256 ${sha256}`} ]; then rm -f -- ${path}; fi; rm -f -- ${`${path}.part`}`;
}

/**
 * Which of `pods` crictl shows running; `allRunningIs` says whether "all running" is the
 * state before (stop) or after (start) the change. ONE `crictl ps --state running -o json`
 * per check, read on the host every time (a check never uses the fact cache); its JSON is
 * flattened (whitespace removed: crictl's indentation varies between versions) and each
 * pod is a running container whose `metadata` starts with its exact `"name"` (the CRI's
 * field order: name, then attempt).
 */
export function podsCheck(crictl: string, pods: string[], allRunningIs: 'reverted' | 'applied'): ShellCommand {
  const probes = pods.map((pod) => sh`case "$flat" in *${`"metadata":{"name":"${pod}"`}*) up="$up "${pod};; *) down="$down "${pod};; esac; `);
  const verdict =
    allRunningIs === 'reverted'
      ? sh`if [ -z "$down" ]; then echo "reverted: running:$up"; else echo "applied: not running:$down"; fi`
      : sh`if [ -z "$up" ]; then echo "reverted: not running:$down"; else echo "applied: running:$up"; fi`;
  return cat(
    sh`up=""; down=""; out=$(${crictl} ps --state running -o json) || { echo "cannot tell: "${crictl}" ps failed"; exit 0; }; `,
    sh`case "$out" in *'"containers"'*) ;; *) echo "cannot tell: "${crictl}" ps printed no containers list"; exit 0;; esac; flat=$(printf %s "$out" | tr -d '[:space:]'); `,
    ShellCommand.join(probes, ''),
    verdict,
  );
}

/** A restore into a new data dir through a staging dir: applied = either holds data; reverted = neither exists (or the data dir is empty). */
export function restoredDirCheck(dataDir: string, staging: string): ShellCommand {
  return cat(
    sh`if [ -e ${staging} ] || [ -L ${staging} ]; then echo "applied: "${staging}" (a restore in progress or cut off) exists"; `,
    sh`elif [ -f ${`${dataDir}/member/snap/db`} ]; then echo "applied: "${dataDir}" holds a restored data dir"; `,
    sh`elif [ ! -e ${dataDir} ] && [ ! -L ${dataDir} ]; then echo "reverted: neither "${dataDir}" nor "${staging}" exists"; `,
    sh`elif [ -d ${dataDir} ] && [ -z "$(ls -A -- ${dataDir})" ]; then echo "reverted: "${dataDir}" is empty"; `,
    sh`else echo "cannot tell: "${dataDir}" exists but holds no member/snap/db"; fi`,
  );
}

/** Subjects are compared as strings: one spelling per path. */
export function pathSubject(path: string): string {
  return posix.normalize(path).replace(/(.)\/$/, '$1');
}

export function podSubject(pod: string): string {
  return `pod:${pod}`;
}

/** Commands written in pieces, joined with nothing between them. */
function cat(...commands: ShellCommand[]): ShellCommand {
  return ShellCommand.join(commands, '');
}
