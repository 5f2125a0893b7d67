// drbook rehearse RUNBOOK --snapshot FILE: prove the restore on a throw-away sandbox.
import { InputError } from '../../core/errors.js';
import { defaultRehearsalNodes, rehearsalTransport, rehearse } from '../../rehearsal/rehearse.js';
import { loadRunbook } from '../../runbook/load.js';
import { builtinActions } from '../../actions/registry.js';
import { formatTimings, seconds } from '../../rehearsal/timings.js';
import { parseParamFlags, secretParamNames } from '../../runbook/params.js';
import { hideSecretArgs } from '../hide-secret-args.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { listOption, stringOption, type CommandSpec, type ParsedArgs } from '../args.js';
import { createOutput } from '../render/select.js';
import { COMMON_HELP, COMMON_OPTIONS, outputMode } from '../run-setup.js';
import { installInterrupts } from '../signals.js';

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

export default async function rehearseCommand({ values, positionals }: ParsedArgs): Promise<number> {
  const snapshot = stringOption(values, 'snapshot');
  if (!snapshot) throw new InputError('drbook rehearse: --snapshot FILE is required', `usage: ${spec.usage}`);
  const nodesText = stringOption(values, 'nodes');
  const runbook = await loadRunbook(positionals[0]!, builtinActions); // invalid input fails before any sandbox exists
  const nodes = nodesText === undefined ? defaultRehearsalNodes(runbook) : Number(nodesText);
  if (!Number.isInteger(nodes) || nodes < 1) throw new InputError(`--nodes: expected a whole number ≥ 1, got "${stringOption(values, 'nodes')}"`);
  if (values.ssh === true && values.local === true) throw new InputError('drbook rehearse: --ssh and --local contradict each other; give one');
  const transport = values.ssh === true ? 'ssh' : values.local === true ? 'local' : undefined;
  const sshPortText = stringOption(values, 'ssh-port');
  const sshPort = sshPortText === undefined ? undefined : Number(sshPortText);
  if (sshPort !== undefined && (!/^\d+$/.test(sshPortText!) || rehearsalTransport(nodes, transport) !== 'ssh')) {
    throw new InputError(
      rehearsalTransport(nodes, transport) !== 'ssh' ? '--ssh-port is only meaningful for a rehearsal over SSH (--ssh, or --nodes > 1)' : `--ssh-port: expected a port number, got "${sshPortText}"`,
    );
  }
  const output = await createOutput(outputMode(values), { dryRun: false });
  const secretArgsWarning = hideSecretArgs(secretParamNames(runbook));
  if (secretArgsWarning) output.say(`warning: ${secretArgsWarning}`);
  const interrupts = installInterrupts(output.say);
  try {
    const result = await rehearse({
      runbookFile: positionals[0]!,
      runbook,
      snapshot,
      params: parseParamFlags(listOption(values, 'param')),
      nodes,
      ipPrefix: stringOption(values, 'ip-prefix'),
      transport,
      sshPort,
      dir: stringOption(values, 'dir'),
      keep: values.keep === true,
      stateDir: resolveStateDir(stringOption(values, 'state-dir')),
      bus: output.bus,
      say: output.say,
      interrupt: interrupts.interrupt,
      abandon: interrupts.abandon,
    });
    await output.finished();
    const path = result.overSsh ? ' (over SSH)' : '';
    const verdict = result.exitCode === 0 ? `PASSED${path}: the snapshot restores with this runbook` : `FAILED${path} (${result.state}): see drbook report ${result.runId}`;
    output.say(`\nrehearsal ${verdict}\n${formatTimings(result.timings)}\n  measured restore time:  ${seconds(result.timings.totalMs)}${result.kept ? `\n  sandbox kept: ${result.sandboxDir}` : ''}`);
    return result.exitCode;
  } finally {
    interrupts.dispose();
  }
}
