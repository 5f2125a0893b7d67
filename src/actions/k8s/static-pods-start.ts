// static-pods.start: move stashed manifests back into the kubelet's folder (etcd first:
// the API server cannot start without it), then wait until crictl shows each pod running.
// Undo: stop them again through static-pods.stop, re-planned at undo time.
// The plan is static-pods-move.ts's, in this direction.

import { START_ORDER, orderPods, undoArgs } from './static-pods-common.js';
import { podsCheck } from '../checks.js';
import { staticPodsAction, type Direction } from './static-pods-move.js';

export const START: Direction = {
  name: 'static-pods.start',
  summary: 'Move static pod manifests back from the stash (etcd first), then wait until crictl shows each pod running.',
  into: 'manifests',
  defaultPods: START_ORDER,
  etcdPlace: 'first',
  state: 'running',
  outcome: 'started',
  differs: (source, target) => `${target} already exists and differs from ${source}: refusing to overwrite it (compare both and remove the stale one)`,
  absent(pod, { source, target, targetIsFile, dryRun, manifestsDir, stashDir }) {
    // In a dry-run static-pods.stop has not moved it yet: show the move that will follow it.
    if (targetIsFile && dryRun) return { finding: { level: 'info', message: `${pod}: ${source} (moved there by an earlier step; in ${manifestsDir} now)` }, move: true, identityOf: target };
    if (targetIsFile) return { finding: { level: 'info', message: `${pod}: already in ${manifestsDir}` } };
    // static-pods.stop has not run in a dry-run: the manifest is still in place.
    if (dryRun) return { finding: { level: 'info', message: `${pod}: ${source} (moved there by an earlier step)` }, move: true };
    return { finding: { level: 'error', message: `${pod}: no manifest in the stash ${stashDir} nor in ${manifestsDir}: cannot start it` } };
  },
  moveDescription: (pod, _from, _to, { manifestsDir, stashDir }) => `move ${pod}.yaml from ${stashDir}/ back to ${manifestsDir}/ (starts ${pod})`,
  moveUndo: (pod, args, folders) => ({ description: `move ${pod}.yaml to the stash again and wait until it stopped`, action: 'static-pods.stop', with: undoArgs(args, folders, [pod]) }),
  waitDescription: (waited, timeout) => `wait until crictl shows ${waited.join(', ')} running (timeout ${timeout})`,
  wait({ args, folders, pods, waited, moves, running }) {
    const allRunning = running !== null && moves.length === 0 && waited.every((p) => running.get(p)!.length > 0);
    if (allRunning) return { finding: { level: 'ok', message: `${pods.join(', ')}: ${waited.length ? 'running already' : 'in place'}, nothing to do` } };
    if (waited.length === 0) return { finding: { level: 'info', message: `not waiting for ${pods.join(', ')}: ${pods.length > 1 ? 'they were' : 'it was'} not running before` } };
    const stopOrder = orderPods(moves, 'last');
    return {
      change: {
        // Its undo stops the pods moved here: reverted = none of them runs.
        check: moves.length ? podsCheck(args.crictl, moves, 'applied') : undefined,
        // Stops every pod started here at once (etcd last); the per-manifest undos that
        // follow then find nothing left to move.
        undo: moves.length ? { description: `stop ${stopOrder.join(', ')} again`, action: 'static-pods.stop', with: undoArgs(args, folders, stopOrder) } : null,
      },
    };
  },
};

export const staticPodsStartAction = staticPodsAction(START);
