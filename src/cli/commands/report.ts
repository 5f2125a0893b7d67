// drbook report RUN_ID: a Markdown timeline for the post-incident write-up.
import { readJournal } from '../../journal/journal.js';
import { renderReport } from '../../journal/report.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { stringOption, type CommandSpec, type ParsedArgs } from '../args.js';

export const spec: CommandSpec = {
  name: 'report',
  usage: 'drbook report RUN_ID [--state-dir DIR] > incident.md',
  summary: 'Print a Markdown timeline of a run: steps, hosts, durations, outcome, output tails, rollback, state left.',
  options: { 'state-dir': { type: 'string' } },
  optionHelp: [['--state-dir DIR', 'Where journals live.']],
  positionals: [1, 1],
};

export default async function reportCommand({ values, positionals }: ParsedArgs): Promise<number> {
  const entries = await readJournal(resolveStateDir(stringOption(values, 'state-dir')), positionals[0]!);
  process.stdout.write(renderReport(entries));
  return 0;
}
