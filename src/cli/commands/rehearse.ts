// drbook rehearse RUNBOOK --snapshot FILE: prove the restore on a throw-away sandbox.
import { InputError } from '../../errors.js';
import { rehearse } from '../../rehearsal/rehearse.js';
import { formatTimings, seconds } from '../../rehearsal/timings.js';
import { parseParamFlags } from '../../runbook/params.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { formatHelp, listOption, parseCommandArgs, requirePositionals, stringOption, wantsHelp, type CommandSpec } from '../args.js';
import { createOutput } from '../render/select.js';
import { COMMON_HELP, COMMON_OPTIONS, outputMode } from '../run-setup.js';
import { installInterrupts } from '../signals.js';

const spec: CommandSpec = {
  name: 'rehearse',
  usage: 'drbook rehearse RUNBOOK --snapshot FILE [--nodes N] [--keep] [options]',
  summary: 'Will this snapshot and this runbook really restore? Run them for real on a throw-away sandbox and find out.',
  details: `
Builds a local sandbox shaped like kubeadm masters (real etcd with TLS, static-pod
runner, crictl stand-in, a read-only API server for kubectl), runs the runbook against
it with the snapshot, lets the runbook's own verification steps check the result, prints
per-step timings and the measured restore time, and tears the sandbox down.
The runbook must declare a \`snapshot\` parameter. Exit code: the run's.

Example:
  drbook rehearse runbooks/etcd-restore.yaml --snapshot /backup/etcd.db`,
  options: {
    ...COMMON_OPTIONS,
    snapshot: { type: 'string', short: 's' },
    param: { type: 'string', short: 'p', multiple: true },
    nodes: { type: 'string' },
    'ip-prefix': { type: 'string' },
    dir: { type: 'string' },
    keep: { type: 'boolean' },
  },
  optionHelp: [
    ['-s, --snapshot FILE', 'The snapshot to restore (required).'],
    ['-p, --param NAME=VALUE', 'Another runbook parameter (repeatable).'],
    ['--nodes N', 'Masters in the sandbox (default 1).'],
    ['--ip-prefix P', 'Loopback prefix of the sandbox nodes (default 127.0.0.; nodes get .11, .12, ...).'],
    ['--dir DIR', 'Sandbox folder (default <state dir>/rehearsals/<id>).'],
    ['--keep', 'Keep the sandbox running afterwards (drbook sandbox down --dir DIR removes it).'],
    ...COMMON_HELP,
  ],
};

export default async function rehearseCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) return void process.stdout.write(formatHelp(spec)), 0;
  const { values, positionals } = parseCommandArgs(spec, argv);
  requirePositionals(spec, positionals, 1);
  const snapshot = stringOption(values, 'snapshot');
  if (!snapshot) throw new InputError('drbook rehearse: --snapshot FILE is required', `usage: ${spec.usage}`);
  const nodes = Number(stringOption(values, 'nodes') ?? '1');
  if (!Number.isInteger(nodes) || nodes < 1) throw new InputError(`--nodes: expected a whole number ≥ 1, got "${stringOption(values, 'nodes')}"`);
  const output = await createOutput(outputMode(values), { dryRun: false });
  const interrupts = installInterrupts(output.say);
  try {
    const result = await rehearse({
      runbookFile: positionals[0]!,
      snapshot,
      params: parseParamFlags(listOption(values, 'param')),
      nodes,
      ipPrefix: stringOption(values, 'ip-prefix'),
      dir: stringOption(values, 'dir'),
      keep: values.keep === true,
      stateDir: resolveStateDir(stringOption(values, 'state-dir')),
      bus: output.bus,
      say: output.say,
      interrupt: interrupts.interrupt,
      abandon: interrupts.abandon,
    });
    await output.finished();
    const verdict = result.exitCode === 0 ? 'PASSED: the snapshot restores with this runbook' : `FAILED (${result.state}): see drbook report ${result.runId}`;
    output.say(`\nrehearsal ${verdict}\n${formatTimings(result.timings)}\n  measured restore time:  ${seconds(result.timings.totalMs)}${result.kept ? `\n  sandbox kept: ${result.sandboxDir}` : ''}`);
    return result.exitCode;
  } finally {
    interrupts.dispose();
  }
}
