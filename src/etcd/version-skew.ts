// Which etcd runs, and whether the tool that restores belongs to it. etcd changes its
// storage between minor releases (3.5 keeps membership in the backend, 3.6 stores a
// storage version and drops the v2 store), and a restore tool writes the data dir in its
// own release's shape: a tool of another minor version than the etcd that will open the
// dir is named in the plan. The running version comes from the static pod's image tag
// (registry.k8s.io/etcd:3.5.10-0, rancher/hardened-etcd:v3.5.26-k3s1-build...) or from
// the binary a systemd unit starts (`etcd --version`), which is only run once it is known
// to be an ELF executable: a wrapper script (kubespray's docker mode) would start etcd.

import type { ActionContext } from '../core/action.js';
import { sh } from '../shell/command.js';

export interface EtcdVersion {
  major: number;
  minor: number;
  patch: number;
  /** "3.5.10" */
  text: string;
}

/** The first x.y.z in a version string or tag, with an optional leading v. */
export function parseEtcdVersion(text: string | undefined): EtcdVersion | null {
  const match = /(?:^|[^\d.])v?(\d+)\.(\d+)\.(\d+)/.exec(` ${text ?? ''}`);
  if (!match) return null;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return { major, minor, patch, text: `${major}.${minor}.${patch}` };
}

/** The etcd version an image tag names; undefined for digests and images that are not etcd. */
export function versionOfImage(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  if (colon < 0) return undefined;
  const repository = withoutDigest.slice(lastSlash + 1, colon);
  if (!/etcd/i.test(repository)) return undefined;
  return parseEtcdVersion(withoutDigest.slice(colon + 1))?.text;
}

/** "etcd Version: 3.4.23" (3.4, 3.5, 3.6 all print this line first). */
export function parseEtcdBinaryVersion(output: string): string | undefined {
  return parseEtcdVersion(/etcd Version:\s*(\S+)/i.exec(output)?.[1])?.text;
}

export interface BinaryVersion {
  version?: string;
  problem?: string;
}

/** Ask the binary a systemd unit starts for its version, after checking that it is an ELF executable. */
export async function probeEtcdBinaryVersion(ctx: Pick<ActionContext, 'probe'>, binary: string): Promise<BinaryVersion> {
  const magic = await ctx.probe(sh`head -c 4 -- ${binary} | od -An -v -tx1`, { timeoutMs: 10_000 });
  const bytes = magic.stdout.replace(/\s+/g, '');
  if (magic.exitCode !== 0 || bytes.length === 0) return { problem: `${binary} cannot be read: ${(magic.stderr || magic.stdout).trim() || `exit ${magic.exitCode}`}` };
  if (bytes !== '7f454c46') return { problem: `${binary} is not an ELF executable (a wrapper script?): its version is not probed, since running it could start etcd` };
  const result = await ctx.probe(sh`${binary} --version`, { timeoutMs: 10_000 });
  const version = parseEtcdBinaryVersion(result.stdout + result.stderr);
  return version ? { version } : { problem: `${binary} --version printed no "etcd Version:" line: ${(result.stdout || result.stderr).trim().slice(0, 200)}` };
}

export type SkewKind = 'same' | 'patch' | 'minor' | 'major' | 'unknown';

export interface VersionSkew {
  kind: SkewKind;
  level: 'ok' | 'info' | 'warn';
  message: string;
}

export function classifySkew(a: EtcdVersion | null, b: EtcdVersion | null): SkewKind {
  if (!a || !b) return 'unknown';
  if (a.major !== b.major) return 'major';
  if (a.minor !== b.minor) return 'minor';
  return a.patch !== b.patch ? 'patch' : 'same';
}

export interface SkewInput {
  /** The restore tool: "etcdctl" + "3.4.23" (tool.ts detects both). */
  tool: { name: string; version: string };
  /** The etcd that will open the restored dir, and where that was read. */
  running?: { version: string; from: string };
  /** The snapshot's cluster version (its cluster bucket): "3.5.0". */
  snapshotClusterVersion?: string;
}

/** The version relations a restore plan shows: tool vs running etcd, snapshot vs running etcd. */
export function compareRestoreVersions(input: SkewInput): VersionSkew[] {
  const out: VersionSkew[] = [];
  const tool = parseEtcdVersion(input.tool.version);
  const running = parseEtcdVersion(input.running?.version);
  const toolText = `${input.tool.name} ${input.tool.version || '(version unknown)'}`;
  const kind = classifySkew(tool, running);
  if (!input.running) out.push({ kind, level: 'info', message: `the etcd version that runs is unknown: ${toolText} restores without a version check` });
  else if (kind === 'unknown') out.push({ kind, level: 'info', message: `cannot compare ${toolText} with etcd ${input.running.version} (from ${input.running.from})` });
  else if (kind === 'same' || kind === 'patch') {
    out.push({ kind, level: 'ok', message: `${toolText} restores for etcd ${running!.text} (from ${input.running.from})${kind === 'patch' ? ': same minor version' : ''}` });
  } else {
    out.push({
      kind,
      level: 'warn',
      message: `version skew: ${toolText} restores for etcd ${running!.text} (from ${input.running.from}), across ${kind} versions: the data dir is written in ${tool!.major}.${tool!.minor}'s format; use the ${running!.major}.${running!.minor} tool (etcdutl/etcdctl ${running!.text})`,
    });
  }
  const snapshot = parseEtcdVersion(input.snapshotClusterVersion);
  if (snapshot && running) {
    const newer = snapshot.major > running.major || (snapshot.major === running.major && snapshot.minor > running.minor);
    if (newer)
      out.push({
        kind: classifySkew(snapshot, running),
        level: 'warn',
        message: `the snapshot was taken from an etcd ${snapshot.major}.${snapshot.minor} cluster, newer than the etcd ${running.text} that will run it (a downgrade etcd does not support)`,
      });
  }
  return out;
}

export interface SkewJudgement {
  level: 'ok' | 'info' | 'warn' | 'error';
  message: string;
}

const minorOf = (v: EtcdVersion) => v.major * 1000 + v.minor;

/**
 * The plan's verdict on the versions (compareRestoreVersions' lines, judged). etcd
 * upgrades its data one minor version at a time when a newer etcd opens an older dir,
 * and supports no offline downgrade (3.4/3.5 have none; 3.6's `etcdctl downgrade` works
 * on a running cluster only): so a restore tool NEWER than the etcd that will run it, or
 * a snapshot from a newer cluster than that etcd, is refused; a tool older by one minor
 * (Debian/Ubuntu's etcdctl 3.4 beside kubeadm's etcd 3.5, the common case) is a warning
 * (its first start is an upgrade); older by more than one minor is refused.
 */
export function judgeRestoreVersions(input: SkewInput): SkewJudgement[] {
  const lines: SkewJudgement[] = compareRestoreVersions(input).map((s) => ({ level: s.level, message: s.message }));
  const tool = parseEtcdVersion(input.tool.version);
  const running = parseEtcdVersion(input.running?.version);
  const snapshot = parseEtcdVersion(input.snapshotClusterVersion);
  if (tool && running && minorOf(tool) !== minorOf(running)) {
    const gap = minorOf(running) - minorOf(tool);
    const at = lines.findIndex((l) => l.message.startsWith('version skew'));
    const why =
      gap < 0
        ? ': the restored dir would be opened by an OLDER etcd, a downgrade etcd does not support; use a restore tool of the running minor version (-p etcdutl=/path or -p etcdctl=/path)'
        : gap > 1
          ? ': etcd upgrades its data one minor version at a time; use a restore tool of the running minor version'
          : ': etcd opens it as a one-minor upgrade (supported); a tool of the same minor version is safer';
    const judged = { level: gap < 0 || gap > 1 ? ('error' as const) : ('warn' as const), message: `${lines[at]?.message ?? 'version skew'}${why}` };
    if (at >= 0) lines[at] = judged;
    else lines.push(judged);
  }
  for (const line of lines) if (line.message.startsWith('the snapshot was taken from an etcd')) line.level = 'error';
  if (snapshot && tool && minorOf(snapshot) > minorOf(tool)) {
    lines.push({
      level: 'warn',
      message: `the snapshot's cluster ran etcd ${snapshot.major}.${snapshot.minor}, newer than ${input.tool.name} ${tool.text}, which restores it: a tool of ${snapshot.major}.${snapshot.minor} is safer`,
    });
  }
  return lines;
}
