// Which etcd tool can restore on this host, and with which flags. etcd moved the
// offline snapshot commands from etcdctl to etcdutl: 3.4 has only etcdctl (with
// ETCDCTL_API=3), 3.5 has both (etcdctl's deprecated), 3.6 only etcdutl. Flags are
// detected by asking the tool (`snapshot restore --help`), never guessed from versions:
// --bump-revision/--mark-compacted arrived in patch releases (3.4.27, 3.5.10).

import type { ActionContext } from '../core/action.js';
import { DrbookError } from '../core/errors.js';
import { ShellCommand, sh } from '../shell/command.js';

export type EtcdToolName = 'etcdutl' | 'etcdctl';

export interface RestoreFlags {
  bumpRevision: boolean;
  markCompacted: boolean;
  skipHashCheck: boolean;
}

export interface EtcdTool {
  name: EtcdToolName;
  /** As found by `command -v` (or as given). */
  path: string;
  /** "3.4.23"; '' when the tool did not say. */
  version: string;
  flags: RestoreFlags;
}

export interface EtcdToolDetection {
  /** The tool that restores and reads snapshot status; null when the host has none that can. */
  tool: EtcdTool | null;
  /** Everything found, for the plan: "etcdctl 3.4.23 at /usr/bin/etcdctl". */
  found: EtcdTool[];
  /** Why no tool can be used (only when tool is null). */
  problem?: string;
}

export interface ToolOverrides {
  etcdctl?: string;
  etcdutl?: string;
}

/** `etcdctl` needs ETCDCTL_API=3 before 3.4 made it the default; setting it is harmless after. */
export function toolCommand(tool: Pick<EtcdTool, 'name' | 'path'>, args: ShellCommand): ShellCommand {
  return tool.name === 'etcdctl' ? sh`ETCDCTL_API=3 ${tool.path} ${args}` : sh`${tool.path} ${args}`;
}

export async function detectEtcdTool(ctx: Pick<ActionContext, 'probe'>, overrides: ToolOverrides = {}): Promise<EtcdToolDetection> {
  const found: EtcdTool[] = [];
  for (const name of ['etcdutl', 'etcdctl'] as const) {
    const path = await locate(ctx, overrides[name] ?? name);
    if (!path) continue;
    const [version, help] = await Promise.all([ctx.probe(toolCommand({ name, path }, sh`version`)), ctx.probe(toolCommand({ name, path }, sh`snapshot restore --help`))]);
    found.push({ name, path, version: parseToolVersion(version.stdout + version.stderr), flags: parseRestoreFlags(help.stdout + help.stderr) });
  }
  return chooseEtcdTool(found);
}

/** The choice, separated from probing so it is tested on every version combination. */
export function chooseEtcdTool(found: EtcdTool[]): EtcdToolDetection {
  const etcdutl = found.find((t) => t.name === 'etcdutl');
  if (etcdutl) return { tool: etcdutl, found };
  const etcdctl = found.find((t) => t.name === 'etcdctl');
  if (!etcdctl) return { tool: null, found, problem: "neither etcdutl nor etcdctl is installed on this host (install the etcd client tools of the cluster's etcd version)" };
  const [major, minor] = etcdctl.version.split('.').map(Number);
  if (major === 3 && (minor ?? 0) >= 6) {
    return { tool: null, found, problem: `etcdctl ${etcdctl.version} has no snapshot restore/status (removed in 3.6) and etcdutl is not installed: install etcdutl ${etcdctl.version}` };
  }
  return { tool: etcdctl, found };
}

export function parseToolVersion(output: string): string {
  return /(?:etcdctl|etcdutl) version:\s*v?(\d+\.\d+\.\d+[\w.-]*)/i.exec(output)?.[1] ?? /\b(\d+\.\d+\.\d+)\b/.exec(output)?.[1] ?? '';
}

export function parseRestoreFlags(help: string): RestoreFlags {
  const has = (flag: string) => new RegExp(`(^|\\s)--${flag}\\b`, 'm').test(help);
  return { bumpRevision: has('bump-revision'), markCompacted: has('mark-compacted'), skipHashCheck: has('skip-hash-check') };
}

export function describeTool(tool: EtcdTool): string {
  return `${tool.name} ${tool.version || '(version unknown)'} at ${tool.path}${tool.name === 'etcdctl' ? ' (ETCDCTL_API=3)' : ''}`;
}

async function locate(ctx: Pick<ActionContext, 'probe'>, nameOrPath: string): Promise<string | null> {
  const result = await ctx.probe(sh`command -v ${nameOrPath}`);
  const path = result.stdout.trim().split('\n')[0];
  return result.exitCode === 0 && path ? path : null;
}

export interface SnapshotStatus {
  /** etcd's own hash (a CRC over keys and values, not the SHA-256 of the file). */
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

/** `snapshot status -w json`: opens the db read-only and walks every bucket. */
export async function snapshotStatus(ctx: Pick<ActionContext, 'probe'>, tool: EtcdTool, file: string): Promise<SnapshotStatus> {
  const result = await ctx.probe(toolCommand(tool, sh`snapshot status -w json ${file}`), { timeoutMs: 10 * 60_000 });
  const fail = (why: string) => new DrbookError('step', `${tool.name} snapshot status ${file} failed: ${why}`);
  if (result.exitCode !== 0) {
    const tail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ');
    throw fail(result.timedOut ? 'timed out' : tail || `exit ${result.exitCode}`);
  }
  const line = result.stdout.split('\n').find((l) => l.trim().startsWith('{'));
  try {
    const json = JSON.parse(line ?? '') as Record<string, unknown>;
    const number = (key: string) => {
      if (typeof json[key] !== 'number') throw new Error(`no "${key}"`);
      return json[key] as number;
    };
    return { hash: number('hash'), revision: number('revision'), totalKey: number('totalKey'), totalSize: number('totalSize') };
  } catch (error) {
    throw fail(`unexpected output (${(error as Error).message}): ${result.stdout.trim().slice(0, 200)}`);
  }
}
