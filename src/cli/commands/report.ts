// drbook report RUN_ID: a Markdown timeline for the post-incident write-up.
import { readJournal } from '../../journal/journal.js';
import { renderReport } from '../../journal/report.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { stringOption, type ParsedArgs } from '../args.js';

import { spec } from '../specs/report.js';

export { spec };

export default async function reportCommand({ values, positionals }: ParsedArgs): Promise<number> {
  const entries = await readJournal(resolveStateDir(stringOption(values, 'state-dir')), positionals[0]!);
  process.stdout.write(renderReport(entries));
  return 0;
}
