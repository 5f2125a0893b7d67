// static-pods.start: move stashed manifests back into the kubelet's folder (etcd first:
// the API server cannot start without it), then wait until crictl shows each pod running.
// Undo: stop them again through static-pods.stop, re-planned at undo time.

import type { ActionDefinition, Change, Finding } from '../../core/action.js';
import { sh } from '../../shell/command.js';
import { formatDuration } from '../fields.js';
import { checkCrictl, listRunningContainers, waitForPods } from './crictl.js';
import { moveCheck, pathSubject, podSubject, podsCheck, probeIdentities } from '../checks.js';
import {
  START_ORDER, checkFolderExists, checkFolders, manifestFile, orderPods, podsToWaitFor, presenceOf, sameContent, staticPodsSchema, undoArgs,
  type StaticPodsArgs,
} from './static-pods-common.js';

export const staticPodsStartAction: ActionDefinition<StaticPodsArgs> = {
  name: 'static-pods.start',
  summary: 'Move static pod manifests back from the stash (etcd first), then wait until crictl shows each pod running.',
  schema: staticPodsSchema,
  canSimulate: true,
  async plan(ctx, args) {
    const folders = checkFolders(args);
    const { manifestsDir, stashDir } = folders;
    const pods = orderPods(args.pods ?? START_ORDER, 'first');
    const waited = podsToWaitFor(args, pods);
    const dryRun = ctx.run.dryRun;
    const findings: Finding[] = [];
    const changes: Change[] = [];

    const crictlProblem = await checkCrictl(ctx, args.crictl);
    if (crictlProblem) findings.push({ level: 'error', message: `cannot tell whether the containers started: ${crictlProblem}` });
    const missingFolder = await checkFolderExists(ctx, manifestsDir, 'the manifests folder');
    if (missingFolder) findings.push(missingFolder);

    const moves: string[] = [];
    /** Each manifest to move back: where it is now (then its SHA-256), and whether the folder already held an identical copy. */
    const identities = new Map<string, { identity: string; folderHeldCopy: boolean }>();
    // Without the folder, every pod would only repeat that it is missing.
    for (const pod of missingFolder ? [] : pods) {
      const stashed = manifestFile(stashDir, pod);
      const target = manifestFile(manifestsDir, pod);
      const [inStash, inFolder] = await Promise.all([presenceOf(ctx, stashed), presenceOf(ctx, target)]);
      if (inStash === 'not-a-file') {
        findings.push({ level: 'error', message: `${stashed} is not a regular file: refusing to move it` });
      } else if (inStash === 'file') {
        if (inFolder === 'file' && !(await sameContent(ctx, stashed, target))) {
          findings.push({ level: 'error', message: `${target} already exists and differs from ${stashed}: refusing to overwrite it (compare both and remove the stale one)` });
        } else if (inFolder === 'not-a-file') {
          findings.push({ level: 'error', message: `${target} exists and is not a regular file: refusing to move ${stashed} onto it` });
        } else {
          moves.push(pod);
          identities.set(pod, { identity: stashed, folderHeldCopy: inFolder === 'file' });
        }
      } else if (inFolder === 'file' && dryRun) {
        // In a dry-run static-pods.stop has not moved it yet: show the move that will follow it.
        findings.push({ level: 'info', message: `${pod}: ${stashed} (moved there by an earlier step; in ${manifestsDir} now)` });
        moves.push(pod);
        identities.set(pod, { identity: target, folderHeldCopy: false });
      } else if (inFolder === 'file') {
        findings.push({ level: 'info', message: `${pod}: already in ${manifestsDir}` });
      } else if (dryRun) {
        // static-pods.stop has not run in a dry-run: the manifest is still in place.
        findings.push({ level: 'info', message: `${pod}: ${stashed} (moved there by an earlier step)` });
        moves.push(pod);
      } else {
        findings.push({ level: 'error', message: `${pod}: no manifest in the stash ${stashDir} nor in ${manifestsDir}: cannot start it` });
      }
    }

    // The SHA-256 of every manifest to move back (wherever it is now), in one probe.
    const known = [...identities.entries()];
    const hashes = await probeIdentities(ctx, known.map(([, where]) => where.identity));
    known.forEach(([, where], i) => (where.identity = hashes[i]!));

    for (const pod of moves) {
      const known = identities.get(pod);
      const [from, to] = [manifestFile(stashDir, pod), manifestFile(manifestsDir, pod)];
      changes.push({
        description: `move ${pod}.yaml from ${stashDir}/ back to ${manifestsDir}/ (starts ${pod})`,
        command: sh`mv -- ${from} ${to}`,
        // Unknown only in a dry-run where neither folder holds it yet.
        check: known ? moveCheck({ from, to, identity: known.identity, toBefore: known.folderHeldCopy ? known.identity : undefined }) : undefined,
        subjects: [pathSubject(from), pathSubject(to)],
        undo: { description: `move ${pod}.yaml to the stash again and wait until it stopped`, action: 'static-pods.stop', with: undoArgs(args, folders, [pod]) },
      });
    }

    // Asked even when manifests move: a runtime that does not answer must stop the run now.
    let allRunning = false;
    if (!crictlProblem) {
      try {
        const running = await listRunningContainers(ctx, args.crictl, pods);
        allRunning = moves.length === 0 && waited.every((p) => running.get(p)!.length > 0);
      } catch (error) {
        findings.push({ level: 'error', message: `cannot tell whether the containers started: ${(error as Error).message}` });
      }
    }
    if (allRunning) {
      findings.push({ level: 'ok', message: `${pods.join(', ')}: ${waited.length ? 'running already' : 'in place'}, nothing to do` });
    } else if (waited.length === 0) {
      findings.push({ level: 'info', message: `not waiting for ${pods.join(', ')}: ${pods.length > 1 ? 'they were' : 'it was'} not running before` });
    } else {
      changes.push({
        description: `wait until crictl shows ${waited.join(', ')} running (timeout ${formatDuration(args.timeout)})`,
        readOnly: true,
        timeoutMs: args.timeout + 30_000,
        apply: (applyCtx) => waitForPods(applyCtx, { crictl: args.crictl, pods: waited, state: 'running', timeoutMs: args.timeout, intervalMs: args.interval }),
        // Its undo stops the pods moved here: reverted = none of them runs.
        check: moves.length ? podsCheck(args.crictl, moves, 'applied') : undefined,
        subjects: waited.map(podSubject),
        // Stops every pod started here at once (etcd last); the per-manifest undos that
        // follow then find nothing left to move.
        undo: moves.length
          ? { description: `stop ${orderPods(moves, 'last').join(', ')} again`, action: 'static-pods.stop', with: undoArgs(args, folders, orderPods(moves, 'last')) }
          : null,
      });
    }
    return { findings, changes, simulated: true };
  },
};
