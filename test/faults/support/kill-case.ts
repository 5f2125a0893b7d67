// One kill point: the restore of the target's runbook is killed (DRBOOK_FAULT, or a real
// SIGKILL from outside while a change runs), then recovered with `drbook rollback ID` or
// `drbook resume ID`, and judged on the HOSTS, never on the journal:
//   rollback: every member serves the key written after the snapshot (its value), on its
//     ORIGINAL data dir (same inode), every manifest byte-identical (SHA-256 before the
//     run), the control plane running, nothing of the run left beside the data dir;
//   resume: the runbook's verification passed in the resumed process, every member
//     serves the snapshot's data (the key written before it, not the one written after),
//     the old data dir kept as <dataDir>-old-<id> (same inode) with the post-snapshot key
//     in its backend file;
//   always: the post-snapshot data exists somewhere on every node (served, or in a data
//     dir on disk) — else "data lost"; no stray process; no lock left.
// The exit code must say what the hosts are in: 0 only when they are back (rollback) or
// restored (resume).

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEvents, runCli, startCli, type CliResult } from '../../e2e/support/cli.js';
import type { Figures } from './figures.js';
import { CONTROL_PLANE, apiServersReady, etcdHealthy, hashFolder, keysOnDisk, lastingStrays, locksLeft, output, runLeftovers, runningOn, servedValue, type Target } from './target.js';

export const AFTER_KEY = '/drbook-faults/after-snapshot';
export const BEFORE_KEY = '/drbook-faults/before-snapshot';

export type Recovery = 'rollback' | 'resume';
export type Kill = { fault: string } | { externalAt: (event: Record<string, any>) => boolean; delayMs: number; label: string };

export interface CaseOutcome {
  ok: boolean;
  problems: string[];
}

export interface Before {
  value: string;
  manifests: Record<string, string>[];
  inodes: number[];
}

let counter = 0;

export async function observeBefore(target: Target, tag: string): Promise<Before> {
  const value = `${tag}-${Date.now()}-${counter++}`;
  const put = await target.etcdctl(['put', AFTER_KEY, value]);
  if (put.exitCode !== 0) throw new Error(`cannot write the post-snapshot key: ${put.stderr}`);
  return {
    value,
    manifests: await Promise.all(target.paths.map((p) => hashFolder(p.manifestsDir))),
    inodes: await Promise.all(target.paths.map(async (p) => (await stat(p.dataDir)).ino)),
  };
}

export async function runId(stateDir: string): Promise<string> {
  const ids = await readdir(join(stateDir, 'runs'));
  if (ids.length !== 1) throw new Error(`expected one run in ${stateDir}, found ${ids.join(', ')}`);
  return ids[0]!;
}

/** The run, killed. Returns undefined when it was not killed (the point was not reached). */
async function crash(target: Target, stateDir: string, snapshot: string, kill: Kill): Promise<CliResult> {
  const args = target.runArgs(stateDir, snapshot);
  if ('fault' in kill) return runCli(args, { env: { ...target.env, DRBOOK_FAULT: kill.fault } });
  const cli = startCli(args, { env: target.env });
  let killed = false;
  const watch = setInterval(() => {
    if (killed) return;
    if (
      parseEvents(
        cli
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{') && l.endsWith('}'))
          .join('\n'),
      ).some(kill.externalAt)
    ) {
      killed = true;
      setTimeout(() => cli.child.kill('SIGKILL'), kill.delayMs);
    }
  }, 20);
  const result = await cli.done;
  clearInterval(watch);
  return result;
}

/** Is the target a running, healthy cluster (etcd, every control-plane pod, API servers)? */
export async function healthy(target: Target, timeoutMs = 40_000): Promise<boolean> {
  if (!(await etcdHealthy(target, timeoutMs))) return false;
  for (let i = 0; i < target.paths.length; i++) {
    const running = await runningOn(target, i);
    if (!CONTROL_PLANE.every((c) => running.includes(c))) return false;
  }
  return apiServersReady(target, timeoutMs);
}

export async function runKillCase(target: Target, figures: Figures, name: string, kill: Kill, recovery: Recovery, snapshot: string): Promise<CaseOutcome> {
  const problems: string[] = [];
  const before = await observeBefore(target, name.replace(/[^a-z0-9]+/gi, '-'));
  const stateDir = join(target.base, `state-${counter++}`);
  const crashed = await crash(target, stateDir, snapshot, kill);
  figures.points++;
  if (crashed.signal !== 'SIGKILL') problems.push(`not killed (the point was not reached): ${output(crashed)}`);
  const id = await runId(stateDir);

  const args = recovery === 'rollback' ? ['rollback', id, '--state-dir', stateDir, '-o', 'json'] : ['resume', id, '--state-dir', stateDir, '--yes', '-o', 'json'];
  const recovered = await runCli(args, { env: target.env });
  const events = parseEvents(recovered.stdout);
  const stats = figures[recovery];
  stats.total++;

  const judged = await judgeHosts(target, before, id, recovery, events);
  figures.dataLost += judged.dataLost;
  const hostProblems = judged.problems;
  const back = hostProblems.length === 0;
  if (recovered.code === 0 && back) stats.ok++;
  else if (recovered.code === 0) {
    if (recovery === 'rollback') figures.falseUndone++;
    else figures.falseDone++;
    problems.push(`exit 0 but the hosts are not ${recovery === 'rollback' ? 'back' : 'restored'}`);
  } else if (back) {
    figures.wrongExit++;
    problems.push(`exit ${recovered.code} although the hosts are ${recovery === 'rollback' ? 'back' : 'restored'}`);
  } else problems.push(`${recovery} failed (exit ${recovered.code}), hosts not ${recovery === 'rollback' ? 'back' : 'restored'}`);
  problems.push(...hostProblems);
  if (recovered.code !== 0 || !back) problems.push(`${recovery} output: ${output(recovered)}`);

  problems.push(...(await judgeLeftovers(target, figures, stateDir, id)));
  const ok = problems.length === 0;
  if (!ok)
    figures.failures.push(`${name} → ${recovery}: ${problems.slice(0, 4).join('; ').slice(0, 1500)} (reproduce: DRBOOK_FAULT=${'fault' in kill ? kill.fault : `external SIGKILL ${kill.label}`})`);
  return { ok, problems };
}

/** What the hosts are in after a rollback (expect "back") or a resume (expect "restored"); never reads the journal. */
export async function judgeHosts(target: Target, before: Before, id: string, recovery: Recovery, events: Array<Record<string, any>>): Promise<{ problems: string[]; dataLost: number }> {
  let dataLost = 0;
  const etcdUp = await etcdHealthy(target);
  const hostProblems: string[] = [];
  for (const [i, p] of target.paths.entries()) {
    const node = target.info.nodes[i]!.name;
    // Not served (etcd down on this node) counts as not served; the data dirs on disk are read next.
    const served = etcdUp ? await servedValue(target, i, AFTER_KEY).catch(() => undefined) : undefined;
    // Likewise for the value from before the snapshot.
    const beforeServed = etcdUp ? await servedValue(target, i, BEFORE_KEY).catch(() => undefined) : undefined;
    const oldDir = `${p.dataDir}-old-${id}`;
    // Nothing lost: the post-snapshot value is served, or in a data dir on disk.
    const onDisk = [(await keysOnDisk(p.dataDir))?.has(AFTER_KEY), (await keysOnDisk(oldDir))?.has(AFTER_KEY)].some(Boolean);
    if (served !== before.value && !onDisk) {
      dataLost++;
      hostProblems.push(`${node}: DATA LOST — the post-snapshot key is neither served nor in ${p.dataDir} or ${oldDir}`);
    }
    const running = await runningOn(target, i);
    if (!CONTROL_PLANE.every((c) => running.includes(c))) hostProblems.push(`${node}: control plane not running (${running.join(', ') || 'nothing'})`);
    if (recovery === 'rollback') {
      if (served !== before.value) hostProblems.push(`${node}: serves ${JSON.stringify(served)} for the post-snapshot key, not ${before.value}`);
      const ino = await stat(p.dataDir).then(
        (s) => s.ino,
        () => undefined,
      );
      if (ino !== before.inodes[i]) hostProblems.push(`${node}: ${p.dataDir} is not the original data dir (inode ${ino}, was ${before.inodes[i]})`);
      const manifests = await hashFolder(p.manifestsDir);
      if (JSON.stringify(manifests) !== JSON.stringify(before.manifests[i])) hostProblems.push(`${node}: manifests differ: ${JSON.stringify(manifests)} vs ${JSON.stringify(before.manifests[i])}`);
      const left = await runLeftovers(target, i, id);
      if (left.length) hostProblems.push(`${node}: left beside the data dir: ${left.join(', ')}`);
    } else {
      if (served !== undefined) hostProblems.push(`${node}: serves the post-snapshot key (${served}): not the snapshot's data`);
      if (beforeServed === undefined) hostProblems.push(`${node}: does not serve the snapshot's key ${BEFORE_KEY}`);
      const ino = await stat(oldDir).then(
        (s) => s.ino,
        () => undefined,
      );
      if (ino !== before.inodes[i]) hostProblems.push(`${node}: the old data dir is not kept as ${oldDir} (inode ${ino}, was ${before.inodes[i]})`);
      else if (!(await keysOnDisk(oldDir))?.has(AFTER_KEY)) hostProblems.push(`${node}: ${oldDir} does not hold the post-snapshot key`);
      const names = Object.keys(await hashFolder(p.manifestsDir));
      if (names.join() !== Object.keys(before.manifests[i]!).join()) hostProblems.push(`${node}: manifests ${names.join(', ')} (were ${Object.keys(before.manifests[i]!).join(', ')})`);
    }
  }
  if (recovery === 'resume') {
    for (const step of ['verify-etcd', 'verify-nodes']) {
      const done = events.filter((e) => e.type === 'host.finished' && e.stepId === step && e.state === 'done').length;
      if (done < target.paths.length) hostProblems.push(`${step} did not pass on every master in the resumed process`);
    }
  }
  if (!(await apiServersReady(target, 30_000))) hostProblems.push('an API server does not answer /readyz');

  return { problems: hostProblems, dataLost };
}

/** Stray processes (killed once counted, they are drbook's leftovers) and locks left by run `id`. */
export async function judgeLeftovers(target: Target, figures: Figures, stateDir: string, id: string): Promise<string[]> {
  const problems: string[] = [];
  const strays = await lastingStrays(target, id);
  if (strays.length) {
    figures.stray += strays.length;
    problems.push(`stray processes: ${strays.map((s) => `${s.pid} ${s.cmdline.slice(0, 160)}`).join(' | ')}`);
    for (const s of strays) process.kill(s.pid, 'SIGKILL');
  }
  const locks = await locksLeft(target, stateDir, id);
  if (locks.length) {
    figures.locksLeft += locks.length;
    problems.push(`locks left: ${locks.join(', ')}`);
  }
  return problems;
}
