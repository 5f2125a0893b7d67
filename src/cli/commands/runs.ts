// drbook runs: every run in the state dir, newest first, and what can be done with it.
import { listRuns } from '../../journal/runs.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { stringOption, type CommandSpec, type ParsedArgs } from '../args.js';

export const spec: CommandSpec = {
  name: 'runs',
  usage: 'drbook runs [--state-dir DIR] [--json]',
  summary: 'List runs with their state (done, rolled-back, failed, crashed, running, ...) and what can be done next.',
  options: { 'state-dir': { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: [
    ['--state-dir DIR', 'Where journals live (default $DRBOOK_STATE_DIR, $XDG_STATE_HOME/drbook or ~/.local/state/drbook).'],
    ['--json', 'One JSON object per run.'],
  ],
};

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
