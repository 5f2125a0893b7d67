// run/kubelet.json: what a node's kubelet stand-in says about itself — when it started,
// how many times it was restarted (SIGHUP: `systemctl restart kubelet` on the sandbox)
// and when last. Written by the runner (tmp + rename), read by tests, by `sandbox
// status`, by bin/kubelet-restart (which waits for the count to move) and by any
// runbook check that wants to know the kubelet was really restarted.

import { readFile, rename, writeFile } from 'node:fs/promises';

export interface KubeletState {
  /** The runner's PID (a restart is logical: the process stays, like its pods). */
  pid: number;
  startedAt: string;
  restarts: number;
  lastRestartAt?: string;
}

export async function writeKubeletState(file: string, state: KubeletState): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  // One field per line: bin/kubelet-restart reads "restarts" with sed.
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
  await rename(tmp, file);
}

/** undefined when the file is missing or not a kubelet state. */
export async function readKubeletState(file: string): Promise<KubeletState | undefined> {
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as KubeletState;
    return typeof state.restarts === 'number' && typeof state.startedAt === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}
