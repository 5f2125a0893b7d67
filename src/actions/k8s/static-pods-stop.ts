// static-pods.stop: move control-plane manifests out of the kubelet's folder into a
// stash (moved, never copied: a copy left in the folder keeps the pod running), API
// servers first and etcd last, then wait until crictl shows none of their containers.
// A restore must never run while an API server or the old etcd still runs.
// Undo: each moved manifest comes back through static-pods.start (re-planned at undo
// time, so it is idempotent), which also waits until the pod runs again.
// The plan is static-pods-move.ts's, in this direction.

import { STOP_ORDER, orderPods, undoArgs } from './static-pods-common.js';
import { podsCheck } from '../checks.js';
import { staticPodsAction, type Direction } from './static-pods-move.js';

export const STOP: Direction = {
  name: 'static-pods.stop',
  summary: 'Move static pod manifests to a stash outside the manifests folder (etcd last), then wait until crictl shows none of their containers.',
  into: 'stash',
  defaultPods: STOP_ORDER,
  etcdPlace: 'last',
  state: 'stopped',
  outcome: 'stopped',
  differs: (source, target) => `the stash already holds a different ${target}: refusing to overwrite it (compare it with ${source} and remove the one that is stale)`,
  heldCopy: (pod) => ({ level: 'info', message: `${pod}: the stash already holds an identical copy; the manifest is moved over it` }),
  absent: (pod, { target, targetIsFile, manifestsDir }) =>
    targetIsFile
      ? { finding: { level: 'info', message: `${pod}: already in the stash (${target})` } }
      : { finding: { level: 'warn', message: `${pod}: no manifest in ${manifestsDir} nor in the stash: not a static pod on this host? (its containers are still waited for)` } },
  moveDescription: (pod, from, _to, { stashDir }) => `move ${from} to ${stashDir}/ (stops ${pod})`,
  moveUndo: (pod, args, folders, ranBefore) => ({
    description: `move ${pod}.yaml back${ranBefore.includes(pod) ? ' and wait until it runs' : ''}`,
    action: 'static-pods.start',
    with: undoArgs(args, folders, [pod], ranBefore),
  }),
  waitDescription: (waited, timeout) => `wait until crictl shows no container of ${waited.join(', ')} (timeout ${timeout})`,
  wait({ args, folders, pods, waited, moves, running, ranBefore }) {
    const stillRunning = running ? waited.some((p) => running.get(p)!.length > 0) : true;
    if (moves.length === 0 && !stillRunning) return { finding: { level: 'ok', message: `${pods.join(', ')}: stopped already, nothing to do` } };
    const startOrder = orderPods(moves, 'first');
    return {
      change: {
        // Reverted = every pod that ran before runs again (crictl).
        check: podsCheck(args.crictl, ranBefore, 'reverted'),
        // Brings every pod moved here back at once (etcd first) and waits for them in
        // parallel; the per-manifest undos that follow then find nothing left to do.
        undo: moves.length ? { description: `start ${startOrder.join(', ')} again`, action: 'static-pods.start', with: undoArgs(args, folders, startOrder, ranBefore) } : null,
      },
    };
  },
};

export const staticPodsStopAction = staticPodsAction(STOP);
