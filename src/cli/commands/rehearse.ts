// drbook rehearse RUNBOOK --snapshot FILE: prove the restore on a throw-away sandbox.
import { InputError } from '../../core/errors.js';
import { defaultRehearsalNodes, rehearsalTransport, rehearse } from '../../rehearsal/rehearse.js';
import { loadRunbook } from '../../runbook/load.js';
import { builtinActions } from '../../actions/registry.js';
import { formatTimings, seconds } from '../../rehearsal/timings.js';
import { parseParamFlags, secretParamNames } from '../../runbook/params.js';
import { hideSecretArgs } from '../hide-secret-args.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { listOption, stringOption, type ParsedArgs } from '../args.js';
import { createOutput } from '../render/select.js';
import { outputMode } from '../run-setup.js';
import { installInterrupts } from '../signals.js';

import { spec } from '../specs/rehearse.js';

export { spec };

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
