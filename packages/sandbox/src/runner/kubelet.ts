// The static-pod runner: the sandbox's kubelet. It polls the node's manifests folder
// (fs.watch misses renames across folders on some file systems; a 200 ms poll does not)
// and makes the running processes match it: a new manifest starts its container, a
// removed one stops it (SIGTERM, then SIGKILL after a grace period), a changed one is
// replaced, and a container that exits while its manifest is present is restarted with a
// back-off and a restart count, as the kubelet does. Before a container starts, its
// DirectoryOrCreate and FileOrCreate hostPath volumes are created when missing (0755
// directories, empty 0644 files), as the kubelet does. Every change is written to
// run/containers.json for the crictl stand-in.
// A kubelet restart (restartKubelet, SIGHUP) is what `systemctl restart kubelet` does to
// static pods: nothing. Their containers keep running; the new kubelet adopts them,
// forgets its crash-loop back-offs and syncs at once. The restart is counted in
// run/kubelet.json.

import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import { pathsOfNode, type NodePaths } from '../layout.js';
import { mapContainerCommand } from './commands.js';
import { launchContainer, stopContainer, type Container } from './container.js';
import { prepareHostPaths } from './host-paths.js';
import { writeKubeletState, type KubeletState } from './kubelet-state.js';
import { parseManifest, type StaticPod } from './static-pod-file.js';
import { newContainerId, writeContainersState, type ContainerRecord } from './state.js';

export interface RunnerOptions {
  nodeDir: string;
  pollMs?: number;
  /** SIGTERM → SIGKILL grace period (the kubelet's default is 30 s; the sandbox is impatient). */
  graceMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** A container that ran this long is healthy again: its back-off starts over. */
  backoffResetMs?: number;
  mapCommand?: (argv: string[]) => string[];
  log?: (line: string) => void;
}

interface Pod {
  spec: StaticPod;
  hash: string;
  podId: string;
  current?: Container;
  /** The previous container, kept for `crictl ps -a` as the kubelet keeps one dead container. */
  previous?: ContainerRecord;
  attempt: number;
  backoffMs: number;
  restartAt?: number;
  busy: boolean;
}

export class StaticPodRunner {
  readonly paths: NodePaths;
  readonly nodeName: string;
  private readonly pods = new Map<string, Pod>(); // by manifest file
  private readonly badManifests = new Map<string, string>(); // file → hash already reported
  private readonly options: Required<Omit<RunnerOptions, 'nodeDir'>>;
  private stopped = false;
  private loop?: Promise<void>;
  private writing: Promise<void> = Promise.resolve();
  private kubelet: KubeletState = { pid: process.pid, startedAt: new Date().toISOString(), restarts: 0 };

  constructor(options: RunnerOptions) {
    this.paths = pathsOfNode(options.nodeDir);
    this.nodeName = basename(options.nodeDir);
    this.options = {
      pollMs: options.pollMs ?? 200,
      graceMs: options.graceMs ?? 5000,
      backoffInitialMs: options.backoffInitialMs ?? 1000,
      backoffMaxMs: options.backoffMaxMs ?? 20_000,
      backoffResetMs: options.backoffResetMs ?? 30_000,
      mapCommand: options.mapCommand ?? mapContainerCommand,
      log: options.log ?? ((line) => console.log(`${new Date().toISOString()} ${line}`)),
    };
  }

  async start(): Promise<void> {
    await mkdir(this.paths.runDir, { recursive: true });
    await mkdir(this.paths.logsDir, { recursive: true });
    await this.writeState();
    await writeKubeletState(this.paths.kubeletStateFile, this.kubelet);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.syncOnce();
      } catch (error) {
        this.options.log(`sync failed: ${errorMessage(error)}`);
      }
      await sleep(this.options.pollMs);
    }
  }

  /** One kubelet sync: make the processes match the manifests folder. */
  async syncOnce(): Promise<void> {
    const desired = await this.readManifests();
    let changed = false;
    const stops: Promise<void>[] = [];
    for (const [file, pod] of this.pods) {
      const want = desired.get(file);
      if (pod.busy || (want && want.hash === pod.hash)) continue;
      this.options.log(`${want ? 'manifest changed' : 'manifest removed'}: ${file}; stopping ${pod.spec.container}`);
      stops.push(this.removePod(file, pod));
      changed = true;
    }
    await Promise.all(stops);
    const now = Date.now();
    for (const [file, want] of desired) {
      if (this.stopped) return;
      let pod = this.pods.get(file);
      if (!pod) {
        pod = { ...want, podId: newContainerId(), attempt: 0, backoffMs: this.options.backoffInitialMs, busy: false };
        this.pods.set(file, pod);
        this.startContainer(pod);
        changed = true;
      } else if (!pod.busy && pod.current?.record.state === 'exited' && pod.restartAt !== undefined && pod.restartAt <= now) {
        pod.attempt += 1;
        this.startContainer(pod);
        changed = true;
      }
    }
    if (changed) await this.writeState();
  }

  private async readManifests(): Promise<Map<string, { spec: StaticPod; hash: string }>> {
    const desired = new Map<string, { spec: StaticPod; hash: string }>();
    let names: string[] = [];
    try {
      names = await readdir(this.paths.manifestsDir);
    } catch {
      return desired; // no folder: no pods, as with an empty one
    }
    for (const name of names.sort()) {
      // The kubelet ignores hidden files; editors' temp files must not become pods.
      if (name.startsWith('.') || !/\.(ya?ml|json)$/.test(name)) continue;
      const file = join(this.paths.manifestsDir, name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue; // moved away between readdir and read
      }
      const hash = createHash('sha256').update(text).digest('hex');
      try {
        desired.set(file, { spec: parseManifest(text, file), hash });
        this.badManifests.delete(file);
      } catch (error) {
        if (this.badManifests.get(file) !== hash) this.options.log(`ignoring manifest: ${errorMessage(error)}`);
        this.badManifests.set(file, hash);
        // A pod already running from this file keeps running until the file is fixed or gone.
        const known = this.pods.get(file);
        if (known) desired.set(file, { spec: known.spec, hash: known.hash });
      }
    }
    return desired;
  }

  private startContainer(pod: Pod): void {
    prepareHostPaths(pod.spec, this.options.log);
    if (pod.current) pod.previous = pod.current.record;
    const argv = this.options.mapCommand(pod.spec.argv);
    const logPath = join(this.paths.logsDir, `${pod.spec.container}.log`);
    const record: ContainerRecord = {
      id: newContainerId(),
      name: pod.spec.container,
      podName: `${pod.spec.name}-${this.nodeName}`,
      podNamespace: pod.spec.namespace,
      podId: pod.podId,
      pid: 0,
      state: 'running',
      createdAt: new Date().toISOString(),
      attempt: pod.attempt,
      image: pod.spec.image,
      argv,
      manifest: pod.spec.file,
      logPath,
    };
    pod.restartAt = undefined;
    const container = launchContainer(record, (how) => {
      const ranMs = Date.parse(record.finishedAt!) - Date.parse(record.createdAt);
      this.options.log(`${record.name} exited (${how}) after ${ranMs} ms`);
      if (pod.current === container && !pod.busy && !this.stopped) {
        if (ranMs >= this.options.backoffResetMs) pod.backoffMs = this.options.backoffInitialMs;
        pod.restartAt = Date.now() + pod.backoffMs;
        pod.backoffMs = Math.min(pod.backoffMs * 2, this.options.backoffMaxMs);
      }
      void this.writeState();
    });
    pod.current = container;
    if (record.pid > 0) this.options.log(`started ${record.name} pid ${record.pid} (attempt ${record.attempt})`);
  }

  private stopContainer(container: Container): Promise<void> {
    return stopContainer(container, this.options.graceMs, this.options.log);
  }

  private async removePod(file: string, pod: Pod): Promise<void> {
    pod.busy = true;
    if (pod.current) await this.stopContainer(pod.current);
    this.pods.delete(file);
  }

  /**
   * What SIGHUP does: a kubelet restart. The static pods' containers keep running (a
   * real kubelet adopts them); crash-loop back-offs are forgotten, so a crashed container
   * starts again at the next sync (the loop's, never a second one beside it). Counted in
   * run/kubelet.json.
   */
  async restartKubelet(): Promise<KubeletState> {
    const now = Date.now();
    for (const pod of this.pods.values()) {
      pod.backoffMs = this.options.backoffInitialMs;
      if (pod.restartAt !== undefined) pod.restartAt = now;
    }
    const state = { ...this.kubelet, restarts: this.kubelet.restarts + 1, lastRestartAt: new Date().toISOString() };
    this.kubelet = state;
    // Serialised like writeState: two quick restarts must not rename each other's tmp file.
    this.writing = this.writing
      .then(() => writeKubeletState(this.paths.kubeletStateFile, state))
      .catch((error) => this.options.log(`cannot write ${this.paths.kubeletStateFile}: ${errorMessage(error)}`));
    await this.writing;
    return state;
  }

  /** Stops every container and the loop (SIGTERM to the runner). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await Promise.all(
      [...this.pods.values()].map(async (pod) => {
        pod.busy = true;
        if (pod.current) await this.stopContainer(pod.current);
      }),
    );
    await this.writeState();
  }

  records(): ContainerRecord[] {
    return [...this.pods.values()].flatMap((pod) => [pod.previous, pod.current?.record].filter((r): r is ContainerRecord => !!r));
  }

  /** Serialised: the tmp file of one write must not be renamed by another. */
  writeState(): Promise<void> {
    this.writing = this.writing
      .then(() => writeContainersState(this.paths.containersFile, this.records()))
      .catch((error) => this.options.log(`cannot write ${this.paths.containersFile}: ${errorMessage(error)}`));
    return this.writing;
  }
}
