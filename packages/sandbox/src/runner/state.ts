// run/containers.json: what the static-pod runner has started, written by the runner on
// every change (tmp + rename, so a reader never sees half a file) and read by the crictl
// stand-in and by `sandbox down/status`. Readers must not trust `state: running` alone:
// a runner killed with -9 never writes again, so they check the PID (liveState).

import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { SandboxError } from '../errors.js';
import { processRuns } from '../processes.js';
import { isProcessAlive } from '@drbook/system';

export type ContainerState = 'running' | 'exited';

export interface ContainerRecord {
  /** 64 hex characters, like a containerd id. */
  id: string;
  /** The container's name: etcd, kube-apiserver, ... */
  name: string;
  /** The static pod's name: <metadata.name>-<node>, e.g. etcd-node1. */
  podName: string;
  podNamespace: string;
  /** Stable while the manifest is unchanged; a new pod gets a new one. */
  podId: string;
  pid: number;
  state: ContainerState;
  /** ISO time the container was started. */
  createdAt: string;
  finishedAt?: string;
  exitCode?: number | null;
  /** Restarts of this pod's container since the pod was created (kubelet's restart count). */
  attempt: number;
  image: string;
  /** The argv really started, to recognise the PID later (pid reuse). */
  argv: string[];
  manifest: string;
  logPath: string;
}

export function newContainerId(): string {
  return randomBytes(32).toString('hex');
}

export async function writeContainersState(file: string, records: ContainerRecord[]): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(records, null, 2) + '\n');
  await rename(tmp, file);
}

/** undefined when the file does not exist (nothing can be told); throws if it is unreadable. */
export async function readContainersState(file: string): Promise<ContainerRecord[] | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SandboxError('internal', `cannot read the container state ${file}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SandboxError('internal', `the container state ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(data)) throw new SandboxError('internal', `the container state ${file} is not a list of containers`);
  return data as ContainerRecord[];
}

/** The state as it really is now: a "running" record whose process is gone is exited. */
export function liveState(record: ContainerRecord): ContainerState {
  if (record.state !== 'running') return record.state;
  return isProcessAlive(record.pid) && processRuns(record.pid, record.argv) ? 'running' : 'exited';
}
