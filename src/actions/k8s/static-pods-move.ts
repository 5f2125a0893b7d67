// static-pods.stop and static-pods.start are one move in two directions: manifests go
// from one folder to the other (stop: the kubelet's folder to the stash, etcd last;
// start: back, etcd first), then crictl is polled until the pods are in the wanted
// state. This is the one implementation; a Direction (static-pods-stop.ts,
// static-pods-start.ts) says which way, in which words, and where the two really
// differ: what a manifest found in neither place means, and when there is nothing to
// wait for. Each move's undo is the other direction, re-planned at undo time.

import { posix } from 'node:path';
import type { ActionContext, ActionDefinition, ActionPlan, Change, Finding, Undo } from '../../core/action.js';
import { sh } from '../../shell/command.js';
import { formatDuration } from '../fields.js';
import { checkCrictl, listRunningContainers, waitForPods, type PodState } from './crictl.js';
import { createdDirsCheck, moveCheck, pathSubject, podSubject, probeIdentities, removeEmptyDirs } from '../checks.js';
import { checkFolderExists, checkFolders, manifestFile, orderPods, podsToWaitFor, presenceOf, sameContent, staticPodsSchema, type StaticPodsArgs } from './static-pods-common.js';

type Folders = { manifestsDir: string; stashDir: string };

/** A pod whose manifest is in neither folder's `from` place: what it means in this direction. */
export interface AbsentSource {
  finding: Finding;
  /** Plan the move anyway (a dry-run: an earlier step puts the manifest where it moves from). */
  move?: boolean;
  /** The file whose SHA-256 the move's check compares with (none: the move has no check). */
  identityOf?: string;
}

export interface Direction {
  name: 'static-pods.stop' | 'static-pods.start';
  summary: string;
  /** Where manifests move to: the stash (stop) or the kubelet's folder (start). */
  into: 'stash' | 'manifests';
  defaultPods: string[];
  etcdPlace: 'first' | 'last';
  /** The pod state waited for. */
  state: PodState;
  /** "stopped" / "started", as in "cannot tell whether the containers stopped". */
  outcome: string;
  /** The error when the target already holds a different manifest. */
  differs(source: string, target: string): string;
  /** An info finding when the target already holds an identical copy (moved over it). */
  heldCopy?(pod: string, target: string): Finding;
  absent(pod: string, where: { source: string; target: string; targetIsFile: boolean; dryRun: boolean } & Folders): AbsentSource;
  moveDescription(pod: string, from: string, to: string, folders: Folders): string;
  moveUndo(pod: string, args: StaticPodsArgs, folders: Folders, ranBefore: string[]): Undo;
  waitDescription(waited: string[], timeout: string): string;
  /**
   * The wait change's check and undo, or the finding that says there is nothing to wait
   * for. `running` is what crictl showed at plan time (null: it did not answer).
   */
  wait(input: WaitInput): { change: Pick<Change, 'check' | 'undo'> } | { finding: Finding };
}

export interface WaitInput {
  args: StaticPodsArgs;
  folders: Folders;
  pods: string[];
  waited: string[];
  moves: string[];
  running: Map<string, string[]> | null;
  ranBefore: string[];
}

/** `dir` and its ancestors that do not exist yet, deepest first: what `mkdir -p` creates. */
async function missingFolders(ctx: Pick<ActionContext, 'transport'>, dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dir; d !== posix.dirname(d) && !(await ctx.transport.stat(d)); d = posix.dirname(d)) missing.push(d);
  return missing;
}

export function staticPodsAction(direction: Direction): ActionDefinition<StaticPodsArgs> {
  return { name: direction.name, summary: direction.summary, schema: staticPodsSchema, canSimulate: true, plan: (ctx, args) => planMove(direction, ctx, args) };
}

async function planMove(direction: Direction, ctx: ActionContext, args: StaticPodsArgs): Promise<ActionPlan> {
  const folders = checkFolders(args);
  const { manifestsDir, stashDir } = folders;
  const [fromDir, toDir] = direction.into === 'stash' ? [manifestsDir, stashDir] : [stashDir, manifestsDir];
  const pods = orderPods(args.pods ?? direction.defaultPods, direction.etcdPlace);
  const waited = podsToWaitFor(args, pods);
  const findings: Finding[] = [];
  const changes: Change[] = [];
  const cannotTell = `cannot tell whether the containers ${direction.outcome}`;

  const crictlProblem = await checkCrictl(ctx, args.crictl);
  if (crictlProblem) findings.push({ level: 'error', message: `${cannotTell}: ${crictlProblem}` });
  const missingFolder = await checkFolderExists(ctx, manifestsDir, 'the manifests folder');
  if (missingFolder) findings.push(missingFolder);
  // Only a stop creates the stash; a start finds it or the manifests in place.
  const stash = direction.into === 'stash' ? await ctx.transport.stat(stashDir) : undefined;
  if (stash && stash.type !== 'dir') findings.push({ level: 'error', message: `the stash ${stashDir} on ${ctx.host.name} is a ${stash.type}, not a folder` });

  const moves: string[] = [];
  /** Each manifest to move: the file whose SHA-256 its check compares with (then the hash), and whether the target held an identical copy. */
  const identities = new Map<string, { identity: string; heldCopy: boolean }>();
  // Without the folder, every pod would only repeat that it is missing.
  for (const pod of missingFolder ? [] : pods) {
    const source = manifestFile(fromDir, pod);
    const target = manifestFile(toDir, pod);
    const [inSource, inTarget] = await Promise.all([presenceOf(ctx, source), presenceOf(ctx, target)]);
    if (inSource === 'not-a-file') {
      findings.push({ level: 'error', message: `${source} is not a regular file: refusing to move it` });
    } else if (inSource === 'file') {
      if (inTarget === 'file' && !(await sameContent(ctx, source, target))) {
        findings.push({ level: 'error', message: direction.differs(source, target) });
      } else if (inTarget === 'not-a-file') {
        findings.push({ level: 'error', message: `${target} exists and is not a regular file: refusing to move ${source} onto it` });
      } else {
        if (inTarget === 'file' && direction.heldCopy) findings.push(direction.heldCopy(pod, target));
        moves.push(pod);
        identities.set(pod, { identity: source, heldCopy: inTarget === 'file' });
      }
    } else {
      const absent = direction.absent(pod, { source, target, targetIsFile: inTarget === 'file', dryRun: ctx.run.dryRun, ...folders });
      findings.push(absent.finding);
      if (absent.move) moves.push(pod);
      if (absent.identityOf) identities.set(pod, { identity: absent.identityOf, heldCopy: false });
    }
  }

  // The SHA-256 of every manifest to move (wherever it is now), in one probe: the checks compare with it.
  const known = [...identities.values()];
  const hashes = await probeIdentities(
    ctx,
    known.map((where) => where.identity),
  );
  known.forEach((where, i) => (where.identity = hashes[i]!));

  // Asked even when manifests move: a runtime that does not answer must stop the run now.
  let running: Map<string, string[]> | null = null;
  if (!crictlProblem) {
    try {
      running = await listRunningContainers(ctx, args.crictl, pods);
      if (direction.into === 'stash') {
        const names = pods.filter((p) => running!.get(p)!.length > 0);
        findings.push({ level: 'info', message: names.length ? `running now: ${names.join(', ')}` : `none of ${pods.join(', ')} runs now` });
      }
    } catch (error) {
      findings.push({ level: 'error', message: `${cannotTell}: ${(error as Error).message}` });
    }
  }

  if (direction.into === 'stash' && moves.length > 0 && !stash) {
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
    const where = identities.get(pod);
    const [from, to] = [manifestFile(fromDir, pod), manifestFile(toDir, pod)];
    changes.push({
      description: direction.moveDescription(pod, from, to, folders),
      command: sh`mv -- ${from} ${to}`,
      // Reverted = the byte-identical manifest (SHA-256 taken now) is back where it was and not in the target.
      // Unknown only in a dry-run start where neither folder holds it yet.
      check: where ? moveCheck({ from, to, identity: where.identity, toBefore: where.heldCopy ? where.identity : undefined }) : undefined,
      subjects: [pathSubject(from), pathSubject(to)],
      undo: direction.moveUndo(pod, args, folders, ranBefore),
    });
  }
  const wait = direction.wait({ args, folders, pods, waited, moves, running, ranBefore });
  if ('finding' in wait) {
    findings.push(wait.finding);
  } else {
    changes.push({
      description: direction.waitDescription(waited, formatDuration(args.timeout)),
      readOnly: true,
      timeoutMs: args.timeout + 30_000,
      apply: (applyCtx) => waitForPods(applyCtx, { crictl: args.crictl, pods: waited, state: direction.state, timeoutMs: args.timeout, intervalMs: args.interval }),
      check: wait.change.check,
      subjects: waited.map(podSubject),
      undo: wait.change.undo,
    });
  }
  return { findings, changes, simulated: true };
}
