// Entry point of a node's static-pod runner: `node dist/src/sandbox/runner/main.js
// --node-dir <dir>/<node>`. Started detached by `sandbox up`, one per node. SIGTERM stops
// every container and exits; SIGHUP restarts the containers other than etcd (what
// "restart the kubelet" means for the restore runbook on the sandbox).

import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { errorMessage } from '../../errors.js';
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
    console.log(`${new Date().toISOString()} SIGHUP: restarting the containers other than etcd`);
    void runner.restartControllers();
  });
}

main().catch((error) => {
  console.error(`runner: ${errorMessage(error)}`);
  process.exit(1);
});
