// static-pods.stop: move control-plane manifests out of the kubelet's folder into a
// stash (moved, never copied: a copy left in the folder keeps the pod running), API
// servers first and etcd last, then wait until crictl shows none of their containers.
// A restore must never run while an API server or the old etcd still runs.
// Undo: each moved manifest comes back through static-pods.start (re-planned at undo
// time, so it is idempotent), which also waits until the pod runs again.

import { posix } from 'node:path';
import type { ActionContext, ActionDefinition, Change, Finding } from '../../core/action.js';
import { sh } from '../../shell/command.js';
import { formatDuration } from '../fields.js';
import { checkCrictl, listRunningContainers, waitForPods } from './crictl.js';
import { createdDirsCheck, moveCheck, pathSubject, podSubject, podsCheck, probeIdentities, removeEmptyDirs } from '../checks.js';
import {
  STOP_ORDER, checkFolderExists, checkFolders, manifestFile, orderPods, podsToWaitFor, presenceOf, sameContent, staticPodsSchema, undoArgs,
  type StaticPodsArgs,
} from './static-pods-common.js';

/** `dir` and its ancestors that do not exist yet, deepest first: what `mkdir -p` creates. */
async function missingFolders(ctx: Pick<ActionContext, 'transport'>, dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dir; d !== posix.dirname(d) && !(await ctx.transport.stat(d)); d = posix.dirname(d)) missing.push(d);
  return missing;
}

export const staticPodsStopAction: ActionDefinition<StaticPodsArgs> = {
  name: 'static-pods.stop',
  summary: 'Move static pod manifests to a stash outside the manifests folder (etcd last), then wait until crictl shows none of their containers.',
  schema: staticPodsSchema,
  canSimulate: true,
  async plan(ctx, args) {
    const folders = checkFolders(args);
    const { manifestsDir, stashDir } = folders;
    const pods = orderPods(args.pods ?? STOP_ORDER, 'last');
    const waited = podsToWaitFor(args, pods);
    const findings: Finding[] = [];
    const changes: Change[] = [];

    const crictlProblem = await checkCrictl(ctx, args.crictl);
    if (crictlProblem) findings.push({ level: 'error', message: `cannot tell whether the containers stopped: ${crictlProblem}` });
    const missingFolder = await checkFolderExists(ctx, manifestsDir, 'the manifests folder');
    if (missingFolder) findings.push(missingFolder);
    const stash = await ctx.transport.stat(stashDir);
    if (stash && stash.type !== 'dir') findings.push({ level: 'error', message: `the stash ${stashDir} on ${ctx.host.name} is a ${stash.type}, not a folder` });

    const moves: string[] = [];
    /** What each moved manifest is (drbook_id: its SHA-256), and whether the stash already held an identical copy. */
    const identities = new Map<string, { identity: string; stashHeldCopy: boolean }>();
    // Without the folder, every pod would only repeat that it is missing.
    for (const pod of missingFolder ? [] : pods) {
      const source = manifestFile(manifestsDir, pod);
      const target = manifestFile(stashDir, pod);
      const [inFolder, inStash] = await Promise.all([presenceOf(ctx, source), presenceOf(ctx, target)]);
      if (inFolder === 'not-a-file') {
        findings.push({ level: 'error', message: `${source} is not a regular file: refusing to move it` });
      } else if (inFolder === 'file') {
        if (inStash === 'file' && !(await sameContent(ctx, source, target))) {
          findings.push({ level: 'error', message: `the stash already holds a different ${target}: refusing to overwrite it (compare it with ${source} and remove the one that is stale)` });
        } else if (inStash === 'not-a-file') {
          findings.push({ level: 'error', message: `${target} exists and is not a regular file: refusing to move ${source} onto it` });
        } else {
          if (inStash === 'file') findings.push({ level: 'info', message: `${pod}: the stash already holds an identical copy; the manifest is moved over it` });
          moves.push(pod);
          identities.set(pod, { identity: '', stashHeldCopy: inStash === 'file' });
        }
      } else if (inStash === 'file') {
        findings.push({ level: 'info', message: `${pod}: already in the stash (${target})` });
      } else {
        findings.push({ level: 'warn', message: `${pod}: no manifest in ${manifestsDir} nor in the stash: not a static pod on this host? (its containers are still waited for)` });
      }
    }

    // The SHA-256 of every manifest to move, in one probe: the checks compare with it.
    const hashes = await probeIdentities(ctx, moves.map((pod) => manifestFile(manifestsDir, pod)));
    moves.forEach((pod, i) => (identities.get(pod)!.identity = hashes[i]!));

    let running: Map<string, string[]> | null = null;
    if (!crictlProblem) {
      try {
        running = await listRunningContainers(ctx, args.crictl, pods);
        const names = pods.filter((p) => running!.get(p)!.length > 0);
        findings.push({ level: 'info', message: names.length ? `running now: ${names.join(', ')}` : `none of ${pods.join(', ')} runs now` });
      } catch (error) {
        findings.push({ level: 'error', message: `cannot tell whether the containers stopped: ${(error as Error).message}` });
      }
    }

    if (moves.length > 0 && !stash) {
      const created = await missingFolders(ctx, stashDir);
      changes.push({
        description: `create the stash folder ${stashDir}`,
        command: sh`mkdir -p -m 700 -- ${stashDir}`,
        check: createdDirsCheck(created),
        subjects: [pathSubject(created.at(-1)!)],
        // Only empty folders go (deepest first): a manifest still in the stash must stay findable.
        undo: { description: `remove the stash folder ${stashDir} if it is empty`, command: removeEmptyDirs(created) },
      });
    }
    // The undos wait only for the pods that ran before: a pod that was already down
    // (e.g. etcd with its data lost) cannot come up, and must not fail a rollback.
    const ranBefore = running ? pods.filter((p) => running!.get(p)!.length > 0) : pods;
    for (const pod of moves) {
      const { identity, stashHeldCopy } = identities.get(pod)!;
      const [from, to] = [manifestFile(manifestsDir, pod), manifestFile(stashDir, pod)];
      changes.push({
        description: `move ${from} to ${stashDir}/ (stops ${pod})`,
        command: sh`mv -- ${from} ${to}`,
        // Reverted = the byte-identical manifest (SHA-256 taken now) is back in the kubelet's folder and not in the stash.
        check: moveCheck({ from, to, identity, toBefore: stashHeldCopy ? identity : undefined }),
        subjects: [pathSubject(from), pathSubject(to)],
        undo: {
          description: `move ${pod}.yaml back${ranBefore.includes(pod) ? ' and wait until it runs' : ''}`,
          action: 'static-pods.start',
          with: undoArgs(args, folders, [pod], ranBefore),
        },
      });
    }
    const stillRunning = running ? waited.some((p) => running!.get(p)!.length > 0) : true;
    if (moves.length > 0 || stillRunning) {
      const startOrder = orderPods(moves, 'first');
      changes.push({
        description: `wait until crictl shows no container of ${waited.join(', ')} (timeout ${formatDuration(args.timeout)})`,
        readOnly: true,
        timeoutMs: args.timeout + 30_000,
        apply: (applyCtx) => waitForPods(applyCtx, { crictl: args.crictl, pods: waited, state: 'stopped', timeoutMs: args.timeout, intervalMs: args.interval }),
        // Reverted = every pod that ran before runs again (crictl).
        check: podsCheck(args.crictl, ranBefore, 'reverted'),
        subjects: waited.map(podSubject),
        // Brings every pod moved here back at once (etcd first) and waits for them in
        // parallel; the per-manifest undos that follow then find nothing left to do.
        undo: moves.length ? { description: `start ${startOrder.join(', ')} again`, action: 'static-pods.start', with: undoArgs(args, folders, startOrder, ranBefore) } : null,
      });
    } else {
      findings.push({ level: 'ok', message: `${pods.join(', ')}: stopped already, nothing to do` });
    }
    return { findings, changes, simulated: true };
  },
};
