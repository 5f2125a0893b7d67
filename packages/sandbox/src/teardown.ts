// `sandbox down`: stop everything a sandbox started (masters and workers), then remove its folder. It must
// work on a healthy sandbox, a half-created one and a crashed one (runner killed -9,
// containers orphaned), and be idempotent. Only PIDs the sandbox recorded are signalled,
// and only after /proc shows they still run what was recorded (PIDs get reused); a last
// sweep catches a container started in the instant between its spawn and the runner's
// state write, recognised by flags that point inside this sandbox's folder. The sshds of
// an SSH sandbox go first (no new session may start while the nodes stop), each with
// every process it forked (see ssh/servers.ts).

import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SandboxError, SandboxInputError } from './errors.js';
import { allNodesOf, readSandboxInfo, type SandboxInfo } from './info.js';
import { NODE_FOLDER, pathsOfNode } from './layout.js';
import { isProcessAlive, terminateProcesses } from '@drbook/system';
import { findProcesses, processGroupOf, readCmdline } from './processes.js';
import { readLiveRunnerPid } from './runner/pid-file.js';
import { readContainersState } from './runner/state.js';
import type { NodeSshdInfo } from './ssh/files.js';
import { stopSandboxSshds } from './ssh/servers.js';

/** Enough for a runner to stop its containers (each gets 5 s of grace, in parallel). */
const RUNNER_STOP_MS = 15_000;
const CONTAINER_GRACE_MS = 3_000;
const SANDBOX_ENTRY = /^((node|worker)\d+|sandbox\.json(\.tmp)?|inventory\.yaml|\.pki-work|ssh)$/;

export interface StopReport {
  /** Runner PIDs that were alive and have been stopped. */
  stoppedRunners: number[];
  /** Container PIDs left behind by a dead runner, killed here. */
  killedContainers: number[];
  /** sshd PIDs (servers and the sessions they forked) that were alive and have been stopped. */
  stoppedSshd: number[];
  /** PIDs that could not be stopped (a human must look). */
  stillAlive: number[];
}

export interface SandboxDownReport extends StopReport {
  dir: string;
  existed: boolean;
  removed: boolean;
}

/** Masters' and workers' folders: from sandbox.json, and whatever node folder is there. */
async function nodeRootsOf(dir: string, info: SandboxInfo | undefined): Promise<string[]> {
  const roots = new Set(info ? allNodesOf(info).map((node) => node.root) : []);
  try {
    for (const entry of await readdir(dir)) if (NODE_FOLDER.test(entry)) roots.add(join(dir, entry));
  } catch {
    // no folder: only what sandbox.json says
  }
  return [...roots];
}

function isRunnerOf(pid: number, dir: string): boolean {
  const argv = readCmdline(pid) ?? [];
  const nodeDir = argv[argv.indexOf('--node-dir') + 1] ?? '';
  return argv.some((a) => /runner[/\\]main\.[jt]s$/.test(a)) && argv.includes('--node-dir') && nodeDir.startsWith(`${dir}/`);
}

/** Flags like --data-dir=<dir>/node1/... or --node-dir <dir>/worker1: a process of this sandbox. */
function referencesSandbox(argv: string[], dir: string): boolean {
  const inside = [`${dir}/node`, `${dir}/worker`];
  return argv.some((arg, i) => inside.some((prefix) => (arg.startsWith('--') && arg.includes(`=${prefix}`)) || (argv[i - 1] === '--node-dir' && arg.startsWith(prefix))));
}

/** Stops the runners (which stop their containers), then whatever they left running. */
export async function stopSandboxProcesses(dirInput: string, info?: SandboxInfo): Promise<StopReport> {
  const dir = resolve(dirInput);
  const roots = await nodeRootsOf(dir, info);
  const recorded = info ? allNodesOf(info) : [];
  const recordedSshd = new Map<string, NodeSshdInfo>(recorded.filter((n) => n.sshd).map((n) => [n.root, n.sshd!]));
  const sshd = await stopSandboxSshds(roots, recordedSshd);
  const candidates = new Set<number>([...(info?.pids ?? []), ...recorded.map((n) => n.runnerPid ?? 0)]);
  for (const root of roots) candidates.add(readLiveRunnerPid(root) ?? 0);
  const runners = [...candidates].filter((pid) => pid > 0 && isProcessAlive(pid) && isRunnerOf(pid, dir));

  // SIGTERM to the runner (its group holds only the runner: containers lead their own
  // groups): it stops its containers gracefully, then exits.
  const stopped = await terminateProcesses(runners, { graceMs: RUNNER_STOP_MS });
  const stillAlive: number[] = [...sshd.stillAlive, ...stopped.stillAlive];

  const killedContainers: number[] = [];
  const orphans: number[] = [];
  for (const root of roots) {
    // No readable state: no container of this node to stop; the orphan scan below still finds its processes.
    const records = await readContainersState(pathsOfNode(root).containersFile).catch(() => undefined);
    for (const record of records ?? []) {
      const argv = readCmdline(record.pid);
      if (record.pid > 0 && isProcessAlive(record.pid) && argv && referencesOrRuns(argv, record.argv, dir)) orphans.push(record.pid);
    }
  }
  for (const pid of findProcesses((argv) => referencesSandbox(argv, dir))) if (!orphans.includes(pid)) orphans.push(pid);
  // Containers lead their own group (stopped with everything in it); a stray process found by the sweep may not.
  const leaders = orphans.filter((pid) => processGroupOf(pid) === pid);
  const reports = await Promise.all([
    terminateProcesses(leaders, { graceMs: CONTAINER_GRACE_MS }),
    terminateProcesses(
      orphans.filter((pid) => !leaders.includes(pid)),
      { scope: 'process', graceMs: CONTAINER_GRACE_MS },
    ),
  ]);
  for (const report of reports) {
    stillAlive.push(...report.stillAlive);
    killedContainers.push(...report.stopped.filter((pid) => !report.stillAlive.includes(pid)));
  }
  return { stoppedRunners: runners, killedContainers, stoppedSshd: sshd.stopped, stillAlive };
}

function referencesOrRuns(actual: string[], recorded: string[], dir: string): boolean {
  const same = actual.length === recorded.length && actual.every((a, i) => a === recorded[i]);
  return same || referencesSandbox(actual, dir);
}

/** Refuses to delete a folder that is not a sandbox's (a mistyped --dir must not cost a home folder). */
async function assertSandboxFolder(dir: string, info: SandboxInfo | undefined): Promise<void> {
  if (info) return;
  const foreign = (await readdir(dir)).filter((entry) => !SANDBOX_ENTRY.test(entry));
  if (foreign.length > 0) {
    throw new SandboxInputError(
      `${dir} is not a sandbox folder: it has no sandbox.json and holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}`,
      'pass the --dir that `drbook sandbox up` used',
    );
  }
}

export async function sandboxDown(options: { dir: string }): Promise<SandboxDownReport> {
  const dir = resolve(options.dir);
  if (!existsSync(dir)) return { dir, existed: false, removed: false, stoppedRunners: [], killedContainers: [], stoppedSshd: [], stillAlive: [] };
  let info: SandboxInfo | undefined;
  try {
    info = await readSandboxInfo(dir);
  } catch {
    info = undefined; // a torn sandbox.json: fall back to the node folders
  }
  if (!info && existsSync(join(dir, 'sandbox.json'))) info = { nodes: [], pids: [] } as unknown as SandboxInfo;
  await assertSandboxFolder(dir, info);
  const stopped = await stopSandboxProcesses(dir, info);
  if (stopped.stillAlive.length > 0) {
    throw new SandboxError('step', `sandbox ${dir}: could not stop pid ${stopped.stillAlive.join(', ')}; the folder is kept`, {
      hint: 'look at them with `ps -o pid,cmd -p PID`, stop them, then run `drbook sandbox down` again',
    });
  }
  await rm(dir, { recursive: true, force: true });
  return { dir, existed: true, removed: true, ...stopped };
}
