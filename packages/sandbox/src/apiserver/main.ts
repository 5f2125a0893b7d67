// The sandbox's kube-apiserver process: started by the static-pod runner with the
// kube-apiserver manifest's own flags, stopped by SIGTERM like the real pod.
// Exit codes: 0 after SIGTERM/SIGINT, 2 for bad flags or unreadable certs, 1 otherwise.

import { errorMessage, SandboxInputError } from '../errors.js';
import { parseApiServerFlags } from './flags.js';
import { startApiServer } from './server.js';

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} kube-apiserver: ${line}\n`);

async function main(): Promise<void> {
  const config = parseApiServerFlags(process.argv.slice(2));
  const running = await startApiServer(config, { log });
  log(`serving ${running.url} (etcd ${config.etcdServers.join(',')}, prefix ${config.etcdPrefix}, storage media type ${config.storageMediaType}; reads protobuf and JSON)`);
  const stop = (signal: string) => {
    log(`${signal}: shutting down`);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  log(errorMessage(error));
  process.exit(error instanceof SandboxInputError ? 2 : 1);
});
