// `drbook demo`: its options and help, apart from its body (commands/demo.ts), so that
// `drbook demo --help` and flag errors load no body.

import type { CommandSpec } from '../args.js';
import { COMMON_HELP, COMMON_OPTIONS } from './run-options.js';

export const spec: CommandSpec = {
  name: 'demo',
  usage: 'drbook demo [--keep] [--dir DIR] [options]',
  summary: 'Watch a disaster and its recovery: a sandbox control plane loses its etcd data and drbook restores it.',
  details: `
1. brings up a one-master sandbox (real etcd 3.4 with TLS, a kubelet-like static-pod
   runner, crictl, an API server the real kubectl talks to) with cluster state in it;
2. takes a snapshot with etcdctl; 3. destroys etcd's data; 4. restores with
runbooks/etcd-restore.yaml; 5. shows with kubectl that the cluster is back.
Needs etcd, etcdctl, openssl and kubectl (see README). Nothing outside DIR is touched.`,
  options: { ...COMMON_OPTIONS, dir: { type: 'string' }, 'ip-prefix': { type: 'string' }, keep: { type: 'boolean' } },
  optionHelp: [
    ['--dir DIR', 'Sandbox folder (default <state dir>/demo).'],
    ['--ip-prefix P', 'Loopback prefix of the sandbox node (default 127.0.0.; the node is .11).'],
    ['--keep', 'Keep the sandbox afterwards, to look around (kubectl, crictl, drbook report).'],
    ...COMMON_HELP,
  ],
};
