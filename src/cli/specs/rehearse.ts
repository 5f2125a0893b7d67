// `drbook rehearse`: its options and help, apart from its body (commands/rehearse.ts), so that
// `drbook rehearse --help` and flag errors load no body.

import type { CommandSpec } from '../args.js';
import { COMMON_HELP, COMMON_OPTIONS } from './run-options.js';

export const spec: CommandSpec = {
  name: 'rehearse',
  usage: 'drbook rehearse RUNBOOK --snapshot FILE [--nodes N] [--ssh | --local] [--keep] [options]',
  summary: 'Will this snapshot and this runbook really restore? Run them for real on a throw-away sandbox and find out.',
  details: `
Builds a local sandbox shaped like kubeadm masters (real etcd with TLS, static-pod
runner, crictl stand-in, a read-only API server for kubectl), runs the runbook against
it with the snapshot, lets the runbook's own verification steps check the result, prints
per-step timings and the measured restore time, and tears the sandbox down.
The runbook must declare a \`snapshot\` parameter. Exit code: the run's.

A runbook aimed at a group of masters (not \`targets: local\`) is rehearsed on three
nodes unless --nodes says otherwise. With more than one node the rehearsal goes over
SSH: every node gets its own OpenSSH server on its own loopback address (127.0.0.11,
.12, ...), with
generated host keys and a user key, and the runbook reaches the nodes through drbook's
SSH transport with strict known_hosts checking, one connection per host — the same
path as a real multi-master restore. --local reaches the nodes as local hosts instead
(faster; the SSH path is then not rehearsed). --ssh rehearses over SSH with one node.

Examples:
  drbook rehearse runbooks/etcd-restore.yaml --snapshot /backup/etcd.db
  drbook rehearse runbooks/etcd-restore-ha.yaml --snapshot /backup/etcd.db        # 3 masters, over SSH
  drbook rehearse runbooks/etcd-restore-ha.yaml --snapshot /backup/etcd.db --nodes 5`,
  options: {
    ...COMMON_OPTIONS,
    snapshot: { type: 'string', short: 's' },
    param: { type: 'string', short: 'p', multiple: true },
    nodes: { type: 'string' },
    'ip-prefix': { type: 'string' },
    ssh: { type: 'boolean' },
    local: { type: 'boolean' },
    'ssh-port': { type: 'string' },
    dir: { type: 'string' },
    keep: { type: 'boolean' },
  },
  optionHelp: [
    ['-s, --snapshot FILE', 'The snapshot to restore (required).'],
    ['-p, --param NAME=VALUE', 'Another runbook parameter (repeatable).'],
    ['--nodes N', 'Masters in the sandbox (default: 1 for a runbook with `targets: local`, else 3). More than one: over SSH unless --local.'],
    ['--ssh', 'Reach the nodes over SSH (one sshd per node; the default when --nodes > 1).'],
    ['--local', 'Reach the nodes as local hosts, even with --nodes > 1 (the SSH path is not rehearsed).'],
    ['--ssh-port PORT', "Port of the nodes' sshd (default 22 when free on the node addresses, else 2222)."],
    ['--ip-prefix P', 'Loopback prefix of the sandbox nodes (default 127.0.0.; nodes get .11, .12, ...).'],
    ['--dir DIR', 'Sandbox folder (default <state dir>/rehearsals/<id>).'],
    ['--keep', 'Keep the sandbox running afterwards (drbook sandbox down --dir DIR removes it).'],
    ...COMMON_HELP,
  ],
  positionals: [1, 1],
  files: [
    { at: 0, what: 'a runbook (YAML, kind: Runbook)' },
    { at: 'snapshot', what: 'an etcd snapshot (etcdctl snapshot save)' },
  ],
};
