// The --quota-backend-bytes a restored etcd needs on its first start, and the edit of a
// static pod manifest that gives it. Pure.
//
// etcd counts the size of its db FILE against the quota (backend.Size(), not what is in
// use) and raises the NOSPACE alarm at start when the file already exceeds it: the
// cluster then refuses every write until an operator compacts, defragments and disarms.
// A restored db is as large as the snapshot, so the first start needs a quota above it,
// with room for what the cluster writes before anyone compacts and defragments (API
// servers re-register, controllers and kubelets update every object they own): a
// quarter of the snapshot, at least 256 MiB, rounded up to a MiB. Above 8 GiB etcd warns
// that it exceeds the recommended maximum: said in the plan.

import { parseManifestFlagLines } from './quota-lines.js';

export const MIB = 1024 ** 2;
export const RECOMMENDED_MAX_QUOTA = 8 * 1024 ** 3;
const MIN_HEADROOM = 256 * MIB;

/** The quota a restore of `snapshotBytes` needs: the snapshot plus a quarter of it (at least 256 MiB), in whole MiB. */
export function neededQuota(snapshotBytes: number): number {
  const headroom = Math.max(Math.ceil(snapshotBytes / 4), MIN_HEADROOM);
  return Math.ceil((snapshotBytes + headroom) / MIB) * MIB;
}

export type QuotaDecision = { change: false; reason: string } | { change: true; bytes: number; reason: string };

/** `current`: the quota etcd would start with (null: no quota at all, a negative flag). */
export function decideQuota(current: { bytes: number | null; isDefault: boolean; from: string }, snapshotBytes: number): QuotaDecision {
  if (current.bytes === null) return { change: false, reason: `the quota is disabled (${current.from}): nothing limits the restored db` };
  const needed = neededQuota(snapshotBytes);
  const what = current.isDefault ? `etcd's default quota (${fmt(current.bytes)})` : `the quota ${fmt(current.bytes)} (${current.from})`;
  if (current.bytes >= needed) return { change: false, reason: `${what} holds the snapshot (${fmt(snapshotBytes)}) with room: no change` };
  return {
    change: true,
    bytes: needed,
    reason: `${what} is ${current.bytes < snapshotBytes ? 'smaller than' : 'too close to'} the snapshot (${fmt(snapshotBytes)}): etcd would raise the NOSPACE alarm and refuse writes, so its first start gets --quota-backend-bytes=${needed} (${fmt(needed)}: the snapshot plus ${fmt(needed - snapshotBytes)} room)`,
  };
}

/**
 * The manifest text with `--quota-backend-bytes=<bytes>` in etcd's command: the existing
 * flag's line replaced, or a line inserted among the flags in kubeadm's (alphabetical)
 * order with their indentation. Every other byte stays as it was. Throws when the
 * command list is not one flag per line (`- --flag=value`), which drbook does not rewrite.
 */
export function setQuotaFlag(text: string, bytes: number): string {
  const lines = text.split('\n');
  const { flagLines, indent, commandLine } = parseManifestFlagLines(lines);
  const wanted = `${indent}- --quota-backend-bytes=${bytes}`;
  const existing = flagLines.find((i) => /^\s*- "?--quota-backend-bytes[=\s"]/.test(lines[i]!));
  if (existing !== undefined) {
    lines[existing] = wanted;
    return lines.join('\n');
  }
  const after = flagLines.filter((i) => flagName(lines[i]!) < 'quota-backend-bytes').at(-1) ?? commandLine;
  lines.splice(after + 1, 0, wanted);
  return lines.join('\n');
}

function flagName(line: string): string {
  return /--([A-Za-z0-9-]+)/.exec(line)?.[1] ?? '';
}

export function fmt(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2).replace(/\.?0+$/, '')} GiB` : `${Math.ceil(bytes / MIB)} MiB`;
}
