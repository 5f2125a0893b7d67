// Entry point of the crictl stand-in; the node's bin/crictl wrapper runs
// `node <@drbook/sandbox>/dist/src/crictl/main.js --state <node>/run/containers.json "$@"`.

import { runCrictl } from './cli.js';

const code = await runCrictl(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
process.exitCode = code;
