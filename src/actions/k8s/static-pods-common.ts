// What static-pods.stop and static-pods.start share: their parameters, the folder
// rules (the stash must be outside the manifests folder: the kubelet runs any manifest
// it finds there, backup copies included) and how a manifest and its stashed twin compare.

import { posix } from 'node:path';
import { z } from 'zod';
import type { ActionContext, Finding } from '../../core/action.js';
import { InputError } from '../../core/errors.js';
import { durationField, listField } from '../fields.js';

export const STOP_ORDER = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'];
export const START_ORDER = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

export const staticPodsSchema = z.strictObject({
  manifestsDir: z.string().min(1).default('/etc/kubernetes/manifests'),
  /** Outside manifestsDir. */
  stashDir: z.string().min(1).default('/etc/kubernetes/manifests-stash'),
  /** Manifest names without .yaml. */
  pods: listField().optional(),
  /**
   * The pods whose containers are waited for (default: all of `pods`). An undo waits only
   * for the pods that ran before: a pod that was already crashing must not fail a rollback.
   */
  waitFor: listField().optional(),
  crictl: z.string().min(1).default('crictl'),
  timeout: durationField('2m'),
  interval: durationField('1s'),
});

export type StaticPodsArgs = z.infer<typeof staticPodsSchema>;

/** Refuse folders that would make the kubelet run the stash, or that are relative. */
export function checkFolders(args: StaticPodsArgs): { manifestsDir: string; stashDir: string } {
  const issues = [];
  for (const key of ['manifestsDir', 'stashDir'] as const) {
    if (!posix.isAbsolute(args[key])) issues.push({ path: key, message: `expected an absolute path on the host, got "${args[key]}"` });
  }
  if (issues.length) throw new InputError(issues);
  const manifestsDir = posix.normalize(args.manifestsDir).replace(/(.)\/$/, '$1');
  const stashDir = posix.normalize(args.stashDir).replace(/(.)\/$/, '$1');
  const relative = posix.relative(manifestsDir, stashDir);
  if (relative === '' || (!relative.startsWith('..') && !posix.isAbsolute(relative))) {
    throw new InputError([
      {
        path: 'stashDir',
        message: `the stash ${stashDir} is inside the manifests folder ${manifestsDir}: the kubelet would run the manifests moved there; choose a folder outside it (e.g. ${posix.dirname(manifestsDir)}/manifests-stash)`,
      },
    ]);
  }
  return { manifestsDir, stashDir };
}

/** Keep the author's order but put etcd where it must be: last to stop, first to start. */
export function orderPods(pods: string[], etcdPlace: 'first' | 'last'): string[] {
  const unique = [...new Set(pods)];
  const rest = unique.filter((p) => p !== 'etcd');
  if (!unique.includes('etcd')) return rest;
  return etcdPlace === 'first' ? ['etcd', ...rest] : [...rest, 'etcd'];
}

export type Presence = 'absent' | 'file' | 'not-a-file';

export async function presenceOf(ctx: Pick<ActionContext, 'transport'>, path: string): Promise<Presence> {
  const info = await ctx.transport.stat(path);
  return !info ? 'absent' : info.type === 'file' ? 'file' : 'not-a-file';
}

export async function sameContent(ctx: Pick<ActionContext, 'transport'>, a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([ctx.transport.readFile(a), ctx.transport.readFile(b)]);
  return x.equals(y);
}

/** Error finding unless `dir` is an existing folder. */
export async function checkFolderExists(ctx: Pick<ActionContext, 'transport' | 'host'>, dir: string, what: string): Promise<Finding | null> {
  const info = await ctx.transport.stat(dir);
  if (!info) return { level: 'error', message: `${what} ${dir} does not exist on ${ctx.host.name}` };
  if (info.type !== 'dir') return { level: 'error', message: `${what} ${dir} on ${ctx.host.name} is a ${info.type}, not a folder` };
  return null;
}

/** The `with:` of a static-pods action used as an undo: durations as text so the schema reads them back as they were. */
export function undoArgs(args: StaticPodsArgs, folders: { manifestsDir: string; stashDir: string }, pods: string[], waitFor: string[] = pods): Record<string, unknown> {
  return { ...folders, pods, waitFor: waitFor.filter((p) => pods.includes(p)), crictl: args.crictl, timeout: `${args.timeout}ms`, interval: `${args.interval}ms` };
}

/** The pods to wait for, in the order of `pods`. */
export function podsToWaitFor(args: StaticPodsArgs, pods: string[]): string[] {
  return args.waitFor ? pods.filter((p) => args.waitFor!.includes(p)) : pods;
}

export function manifestFile(dir: string, pod: string): string {
  return posix.join(dir, `${pod}.yaml`);
}
