// What the restored data dir must look like before etcd starts on it, and the shell
// pieces that read and set it. Pure (no probes): etcd.data-dir-ready (data-dir-ready.ts)
// probes the host and turns these into changes.
//
// - Owner: the user etcd runs as. A static pod's securityContext runAsUser/runAsGroup
//   (kubeadm writes none: the etcd image runs as root, 0:0), or a systemd unit's
//   User=/Group= (resolved to numbers by layout discovery). The restore itself ran as
//   root, so without this an etcd running as `etcd` cannot open its own WAL.
// - Mode 0700: etcd 3.4+ warns on anything wider and 3.5 refuses a data dir it cannot
//   make 0700 (fileutil.CheckDirPermission); kubeadm creates /var/lib/etcd 0700.
// - The SELinux context of the old dir (only where `getenforce` says Enforcing): a dir
//   written by etcdctl as root gets the parent's default type (var_lib_t), which an
//   etcd confined as container_t / rke2_service_db_t may not write.
//
// Only the data dir itself and the entries etcd's restore wrote are touched: on a mount
// point the old contents are kept inside the data dir (dir.swap's .drbook-old-<run id>),
// and `lost+found` is the filesystem's; neither is chowned or relabelled.

import { posix } from 'node:path';
import { ShellCommand, sh } from '../../shell/command.js';
import type { EtcdMemberFacts } from '../../etcd/member-facts.js';

export const DATA_DIR_MODE = '700';

export interface WantedOwner {
  uid: number;
  gid: number;
  /** Where the owner comes from, for the plan. */
  from: string;
}

/** The owner the restored dir needs: given (`uid:gid`) > the member's facts > root. Error text when it cannot be known. */
export function wantedOwner(given: string | undefined, facts: Pick<EtcdMemberFacts, 'owner'> | undefined): WantedOwner | { problem: string } {
  if (given) {
    const m = /^(\d+):(\d+)$/.exec(given);
    if (!m) return { problem: `owner "${given}": expected numeric uid:gid (e.g. 0:0)` };
    return { uid: Number(m[1]), gid: Number(m[2]), from: 'given (owner)' };
  }
  if (!facts) return { uid: 0, gid: 0, from: "root (no etcd configuration found; kubeadm's etcd runs as root)" };
  const { uid, gid, user, from } = facts.owner;
  if (uid === undefined) return { problem: `etcd runs as ${user ?? 'an unknown user'} (${from}), whose uid is unknown on this host: give owner uid:gid` };
  // A runAsUser without runAsGroup: the container's primary group is the image's (root for the etcd images).
  return { uid, gid: gid ?? 0, from: gid === undefined ? `${from}; no runAsGroup: group 0, the image's` : from };
}

/**
 * The entries of `dataDir` drbook gives the owner and context to: everything but the
 * kept old contents and lost+found. A `find` that prints them (one level), NUL-free
 * names assumed as etcd writes them.
 */
function restoredEntries(dataDir: string, keptDir: string | undefined): ShellCommand {
  const kept = keptDir && posix.dirname(keptDir) === dataDir ? posix.basename(keptDir) : undefined;
  return kept ? sh`find ${dataDir} -mindepth 1 -maxdepth 1 ! -name ${kept} ! -name lost+found` : sh`find ${dataDir} -mindepth 1 -maxdepth 1 ! -name lost+found`;
}

/** `<uid>:<gid> <mode> <ok|other>`: the dir's owner and mode, and whether every restored entry below has the owner `uid:gid`. */
export function ownerStateProbe(dataDir: string, keptDir: string | undefined, uid: number, gid: number): ShellCommand {
  return sh`s=$(stat -c '%u:%g %a' -- ${dataDir}) || exit 1; w=$(${restoredEntries(dataDir, keptDir)} -exec find {} \\( ! -uid ${String(uid)} -o ! -gid ${String(gid)} \\) -print -quit \\;) || exit 1; if [ -n "$w" ]; then o=other; else o=ok; fi; echo "$s $o"`;
}

export function ownerState(uid: number, gid: number, mode: string, contents: 'ok' | 'other'): string {
  return `${uid}:${gid} ${mode} ${contents}`;
}

/** Set the owner on the dir and (recursively) its restored entries, then the mode on the dir. */
export function setOwnerCommand(dataDir: string, keptDir: string | undefined, uid: number, gid: number, mode: string): ShellCommand {
  const owner = `${uid}:${gid}`;
  return sh`chown ${owner} -- ${dataDir} && ${restoredEntries(dataDir, keptDir)} -exec chown -R ${owner} -- {} + && chmod ${mode} -- ${dataDir}`;
}

/** Set the SELinux context: the reference's, or an explicit context (the undo). */
export function setContextCommand(dataDir: string, keptDir: string | undefined, context: { reference: string } | { context: string }): ShellCommand {
  const how = 'reference' in context ? sh`--reference=${context.reference}` : sh`${context.context}`;
  return sh`chcon ${how} -- ${dataDir} && ${restoredEntries(dataDir, keptDir)} -exec chcon -R ${how} -- {} +`;
}

/** What `getenforce` printed (or `absent`): only Enforcing needs the context copied. */
export function selinuxEnforcing(getenforce: string): boolean {
  return getenforce.trim() === 'Enforcing';
}

/**
 * A check against a dir known by the identity of its `member/` (taken at plan time):
 * once the restored member is gone from there (a rollback moved it out), the change
 * on it is reverted whatever the path holds now.
 */
export function stateCheck(options: { idPrefix: ShellCommand; dataDir: string; memberIdentity: string; probe: ShellCommand; before: string; after: string }): ShellCommand {
  const { idPrefix, dataDir, memberIdentity, probe, before, after } = options;
  const member = posix.join(dataDir, 'member');
  return ShellCommand.join(
    [
      sh`${idPrefix}if [ "$(drbook_id ${member})" != ${memberIdentity} ]; then echo "reverted: "${member}" is no longer the restored member"; exit 0; fi; `,
      sh`m=$(${probe}) || { echo "cannot tell: cannot stat "${dataDir}; exit 0; }; `,
      sh`if [ "$m" = ${after} ]; then echo "applied: "${dataDir}" is $m"; elif [ "$m" = ${before} ]; then echo "reverted: "${dataDir}" is $m"; `,
      sh`else echo "cannot tell: "${dataDir}" is $m ("${before}" before, "${after}" after)"; fi`,
    ],
    '',
  );
}
