// Entry point of a node's static-pod runner (the node's kubelet): `node
// <@drbook/sandbox>/dist/src/runner/main.js --node-dir <dir>/<node>`. Started detached by `sandbox
// up`, one per node, masters and workers alike (a worker's manifests folder is empty, as
// on a kubeadm worker). SIGTERM stops every container and exits; SIGHUP is a kubelet
// restart: the static pods keep running, the restart is counted in run/kubelet.json
// (what `systemctl restart kubelet` is on the sandbox: bin/kubelet-restart).

import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { errorMessage } from '../errors.js';
import { StaticPodRunner } from './kubelet.js';
import { readLiveRunnerPid, runnerPidFile } from './pid-file.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'node-dir': { type: 'string' } }, strict: true });
  const nodeDir = values['node-dir'];
  if (!nodeDir) throw new Error('usage: runner/main.js --node-dir <sandbox>/<node>');
  const other = readLiveRunnerPid(nodeDir);
  if (other !== undefined && other !== process.pid) throw new Error(`a runner (pid ${other}) already serves ${nodeDir}`);

  const runner = new StaticPodRunner({ nodeDir });
  await runner.start();
  writeFileSync(runnerPidFile(nodeDir), `${process.pid}\n`);
  console.log(`${new Date().toISOString()} runner ${process.pid} serving ${runner.paths.manifestsDir}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${new Date().toISOString()} ${signal}: stopping every container`);
    void runner.stop().finally(() => {
      rmSync(runnerPidFile(nodeDir), { force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    if (stopping) return;
    void runner.restartKubelet().then((state) => console.log(`${new Date().toISOString()} SIGHUP: kubelet restart ${state.restarts}; the static pods keep running`));
  });
}

main().catch((error) => {
  console.error(`runner: ${errorMessage(error)}`);
  process.exit(1);
});
