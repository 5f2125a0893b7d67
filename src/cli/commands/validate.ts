// drbook validate FILE...: every problem of every file, with file:line:col.
import { formatIssue } from '../../core/errors.js';
import { validateFile } from '../../runbook/validate.js';
import type { ParsedArgs } from '../args.js';
import { fileProblem } from '../file-args.js';
import { builtinActions } from '../../actions/registry.js';

import { spec } from '../specs/validate.js';

export { spec };

export default async function validateCommand({ positionals }: ParsedArgs): Promise<number> {
  let bad = 0;
  for (const file of positionals) {
    // Every file is reported, a missing one too (in words, not as ENOENT), and the others still checked.
    const problem = await fileProblem(file);
    if (problem) {
      bad++;
      process.stderr.write(`${file}: ${problem}; expected a runbook or an inventory (YAML)\n`);
      continue;
    }
    const issues = await validateFile(file, builtinActions);
    if (issues.length === 0) process.stdout.write(`${file}: ok\n`);
    else {
      bad++;
      for (const issue of issues) process.stderr.write(`${formatIssue({ ...issue, file: issue.file ?? file })}\n`);
    }
  }
  return bad ? 2 : 0;
}
