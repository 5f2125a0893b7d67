// drbook runs: every run in the state dir, newest first, and what can be done with it.
import { listRuns } from '../../journal/runs.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { stringOption, type ParsedArgs } from '../args.js';

import { spec } from '../specs/runs.js';

export { spec };

export default async function runsCommand({ values }: ParsedArgs): Promise<number> {
  const runs = await listRuns(resolveStateDir(stringOption(values, 'state-dir')));
  if (values.json) {
    for (const run of runs) process.stdout.write(`${JSON.stringify(run)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write('no runs yet\n');
    return 0;
  }
  const rows = runs.map((r) => [
    r.runId,
    r.state === 'crashed' && r.inFlight ? `crashed (${r.inFlight} in flight)` : r.state,
    r.runbook?.name ?? '?',
    r.hosts.join(',') || '-',
    r.startedAt?.replace('T', ' ').slice(0, 19) ?? '-',
    [r.canResume && 'resume', r.canRollback && 'rollback'].filter(Boolean).join(', ') || '-',
    r.note ?? '',
  ]);
  const header = ['RUN', 'STATE', 'RUNBOOK', 'HOSTS', 'STARTED', 'CAN', 'NOTE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows])
    process.stdout.write(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}
