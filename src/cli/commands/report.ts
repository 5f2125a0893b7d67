// drbook report RUN_ID: a Markdown timeline for the post-incident write-up.
import { readJournal } from '../../journal/journal.js';
import { renderReport } from '../../journal/report.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { formatHelp, parseCommandArgs, requirePositionals, stringOption, wantsHelp, type CommandSpec } from '../args.js';

const spec: CommandSpec = {
  name: 'report',
  usage: 'drbook report RUN_ID [--state-dir DIR] > incident.md',
  summary: 'Print a Markdown timeline of a run: steps, hosts, durations, outcome, output tails, rollback, state left.',
  options: { 'state-dir': { type: 'string' } },
  optionHelp: [['--state-dir DIR', 'Where journals live.']],
};

export default async function reportCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) return void process.stdout.write(formatHelp(spec)), 0;
  const { values, positionals } = parseCommandArgs(spec, argv);
  requirePositionals(spec, positionals, 1);
  const entries = await readJournal(resolveStateDir(stringOption(values, 'state-dir')), positionals[0]!);
  process.stdout.write(renderReport(entries));
  return 0;
}
