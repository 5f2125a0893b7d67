// The kill-point sweep of one shipped runbook on one target (see kill-case.ts for what
// each point checks). The points come from a clean run on the same target: every line
// of its journal (kill-after-entry:N, N = 1 .. lines-1: after the last one the run is
// over) and every change it ran (kill-before-result:STEP:HOST:INDEX), plus real SIGKILLs
// from outside while the long changes run (the stop's wait, the restore).
//
// Recovery: the hosts cannot be copied (they are a live cluster), so each point is
// recovered one way: the points alternate rollback / resume, in journal order, so both
// are exercised in every stretch of the run; the kill-before-result points go the other
// way round from their neighbours (a change's point and the entry after it get both).
// A point that leaves the cluster broken is reported and the sandbox is rebuilt, so
// one failure does not spoil the points after it.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseEvents, runCli } from '../../e2e/support/cli.js';
import { FULL, newFigures, printFigures, sampleAt, type Figures } from './figures.js';
import { BEFORE_KEY, healthy, runKillCase, runId, type Kill, type Recovery } from './kill-case.js';
import { output, saveSnapshot, startTarget, stopTarget, type Target } from './target.js';

export interface CleanRun {
  lines: number;
  changes: Array<{ stepId: string; host: string; index: number; description: string }>;
}

export interface SweepContext {
  target: Target;
  snapshot: string;
  clean: CleanRun;
}

/** Brings the target up, writes the pre-snapshot key, takes the snapshot, runs the restore once cleanly. */
export async function prepare(ipPrefix: string, ha: boolean): Promise<SweepContext> {
  const target = await startTarget(ipPrefix, ha);
  try {
    const put = await target.etcdctl(['put', BEFORE_KEY, 'in the snapshot']);
    if (put.exitCode !== 0) throw new Error(put.stderr);
    const snapshot = await saveSnapshot(target, join(target.base, 'good.db'));
    const stateDir = join(target.base, 'state-clean');
    const result = await runCli(target.runArgs(stateDir, snapshot), { env: target.env });
    if (result.code !== 0) throw new Error(`the clean run failed: ${output(result)}`);
    const id = await runId(stateDir);
    const lines = (await readFile(join(stateDir, 'runs', id, 'journal.jsonl'), 'utf8')).trim().split('\n').length;
    const changes = parseEvents(result.stdout)
      .filter((e) => e.type === 'change.started')
      .map((e) => ({ stepId: String(e.stepId), host: String(e.host), index: Number(e.index), description: String(e.description) }));
    if (!(await healthy(target))) throw new Error('the cluster is not healthy after the clean run');
    return { target, snapshot, clean: { lines, changes } };
  } catch (error) {
    await stopTarget(target);
    throw error;
  }
}

export interface Point {
  name: string;
  kill: Kill;
  recovery: Recovery;
}

/** DRBOOK_FAULTS_STRIDE=k: the full sweep takes every k-th point only (a shorter sweep, still spread over the whole run). */
const STRIDE = Math.max(1, Number(process.env.DRBOOK_FAULTS_STRIDE ?? '1') || 1);
/** DRBOOK_FAULTS_OFFSET=j (0 ≤ j < k): start at the j-th point (two runs, stride 2 offsets 0 and 1, make one full sweep). */
const OFFSET = Math.min(STRIDE - 1, Math.max(0, Number(process.env.DRBOOK_FAULTS_OFFSET ?? '0') || 0));
const strided = <T>(points: T[]): T[] => points.filter((_, i) => i % STRIDE === OFFSET);

export function entryPoints(clean: CleanRun, fractions = [0.3, 0.55]): Point[] {
  const all: Point[] = [];
  for (let n = 1; n < clean.lines; n++) all.push({ name: `kill-after-entry:${n}`, kill: { fault: `kill-after-entry:${n}` }, recovery: n % 2 === 0 ? 'rollback' : 'resume' });
  return FULL ? strided(all) : sampleAt(all, fractions).map((p, i) => ({ ...p, recovery: i % 2 === 0 ? 'rollback' : 'resume' }));
}

export function changePoints(clean: CleanRun, sample: Array<{ stepId: string; recovery: Recovery }>): Point[] {
  const all: Point[] = clean.changes.map((c, i) => {
    const fault = `kill-before-result:${c.stepId}:${c.host}:${c.index}`;
    return { name: `${fault} (${c.description.slice(0, 60)})`, kill: { fault }, recovery: i % 2 === 0 ? 'resume' : 'rollback' };
  });
  if (FULL) return strided(all);
  return sample.flatMap((s) => {
    const found = all.find((p) => p.name.startsWith(`kill-before-result:${s.stepId}:`));
    return found ? [{ ...found, recovery: s.recovery }] : [];
  });
}

/** Real SIGKILLs from outside: while the stop waits for the pods to go, and while the restore runs. */
export function externalPoints(clean: CleanRun, sampled = 1): Point[] {
  const waits = clean.changes.filter((c) => c.stepId === 'stop-control-plane' && /wait/i.test(c.description));
  const lastWait = waits[waits.length - 1];
  const points: Point[] = [];
  if (lastWait) {
    points.push({
      name: `external kill -9 during ${lastWait.stepId}:${lastWait.host}:${lastWait.index} (${lastWait.description.slice(0, 50)})`,
      kill: { externalAt: (e) => e.type === 'change.started' && e.stepId === lastWait.stepId && e.index === lastWait.index, delayMs: 150, label: `during the stop's wait` },
      recovery: 'rollback',
    });
  }
  points.push({
    name: 'external kill -9 during the restore',
    kill: { externalAt: (e) => e.type === 'change.started' && e.stepId === 'restore', delayMs: 100, label: 'during the restore' },
    recovery: 'resume',
  });
  return FULL ? points : points.slice(0, sampled);
}

/** Runs the points one after the other on ctx.target; rebuilds the target after a point that left it broken. */
export async function sweep(ctx: SweepContext, group: string, points: Point[], ipPrefix: string, t: { test: (name: string, fn: () => Promise<void>) => Promise<void> }): Promise<Figures> {
  const figures = newFigures(`${group} ${ctx.target.label}`);
  for (const point of points) {
    await t.test(`${point.name} → ${point.recovery}`, async () => {
      const outcome = await runKillCase(ctx.target, figures, point.name, point.kill, point.recovery, ctx.snapshot);
      if (!outcome.ok && !(await healthy(ctx.target, 20_000))) {
        // A broken cluster would fail every later point: start over on a fresh sandbox (same snapshot file: it lives in the old base, so take a new one).
        await stopTarget(ctx.target);
        const fresh = await prepare(ipPrefix, ctx.target.ha);
        Object.assign(ctx, fresh);
      }
      if (!outcome.ok) throw new Error(outcome.problems.join('\n'));
    });
  }
  printFigures(figures);
  return figures;
}

/** A group's figures say the hosts told the truth: nothing lost, no false claim, every recovery ok. */
export function assertClean(f: Figures): void {
  assert.deepEqual(
    { dataLost: f.dataLost, falseUndone: f.falseUndone, falseDone: f.falseDone, wrongExit: f.wrongExit, stray: f.stray, locksLeft: f.locksLeft },
    { dataLost: 0, falseUndone: 0, falseDone: 0, wrongExit: 0, stray: 0, locksLeft: 0 },
  );
  assert.equal(f.rollback.ok, f.rollback.total, f.failures.join('\n'));
  assert.equal(f.resume.ok, f.resume.total, f.failures.join('\n'));
}
