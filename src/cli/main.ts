// Entry point: argv → the command table (command-table.ts) → a command. Commands are
// imported lazily so that `drbook --help` and `drbook validate` start fast (etcd3/grpc,
// ssh2 and listr2 load only when used).

import { closedOutputIsDropped } from './closed-output.js';
import { runCli } from './dispatch.js';
import { reportError } from './exit-codes.js';

export { reportError } from './exit-codes.js';

export async function main(argv: string[]): Promise<void> {
  closedOutputIsDropped();
  // Whatever escapes a command (an error thrown from a callback) still ends as one line and a code.
  process.on('uncaughtException', (error) => {
    process.exitCode = reportError(error);
    process.exit();
  });
  process.exitCode = await runCli(argv);
}
