// After a run hit a fault (a full disk, a signal, a dead sshd): its exit code must say
// what the hosts are in. 1 or 130: the hosts are back (checked on the hosts). 3: changes
// may remain — then the cause is removed (`fix`) and `drbook rollback ID` must bring
// the hosts back, exit 0. 0 is only true if the hosts are restored. Anything else
// (2 after a change) is a wrong exit.

import { parseEvents, runCli, type CliResult } from '../../e2e/support/cli.js';
import type { Figures } from './figures.js';
import { judgeHosts, judgeLeftovers, runId, type Before } from './kill-case.js';
import { output, type Target } from './target.js';

export async function settle(
  target: Target,
  figures: Figures,
  name: string,
  before: Before,
  stateDir: string,
  result: CliResult,
  options: { fix?: () => Promise<void>; expect?: number[] } = {},
): Promise<string[]> {
  const problems: string[] = [];
  figures.points++;
  const id = await runId(stateDir);
  const code = result.code;
  if (options.expect && !options.expect.includes(code ?? -1)) problems.push(`exit ${code}, expected ${options.expect.join(' or ')}: ${output(result)}`);
  if (code === 1 || code === 130) {
    figures.rollback.total++;
    const judged = await judgeHosts(target, before, id, 'rollback', []);
    figures.dataLost += judged.dataLost;
    if (judged.problems.length) {
      figures.falseUndone++;
      problems.push(`exit ${code} says the hosts are as before, but: ${judged.problems.join('; ')}`, output(result));
    } else figures.rollback.ok++;
  } else if (code === 3) {
    await options.fix?.();
    figures.rollback.total++;
    const rollback = await runCli(['rollback', id, '--state-dir', stateDir, '-o', 'json'], { env: target.env });
    const judged = await judgeHosts(target, before, id, 'rollback', parseEvents(rollback.stdout));
    figures.dataLost += judged.dataLost;
    if (rollback.code === 0 && judged.problems.length === 0) figures.rollback.ok++;
    else {
      if (rollback.code === 0) figures.falseUndone++;
      problems.push(`after exit 3 and the cause removed, drbook rollback exit ${rollback.code}: ${judged.problems.join('; ')}`, output(rollback));
    }
  } else if (code === 0) {
    const judged = await judgeHosts(target, before, id, 'resume', parseEvents(result.stdout));
    figures.dataLost += judged.dataLost;
    if (judged.problems.length) {
      figures.falseDone++;
      problems.push(`exit 0 but the hosts are not restored: ${judged.problems.join('; ')}`);
    }
  } else {
    figures.wrongExit++;
    problems.push(`exit ${code} (signal ${result.signal}) does not say what the hosts are in: ${output(result)}`);
  }
  problems.push(...(await judgeLeftovers(target, figures, stateDir, id)));
  if (problems.length) figures.failures.push(`${name}: ${problems.join('; ').slice(0, 1500)}`);
  return problems;
}
