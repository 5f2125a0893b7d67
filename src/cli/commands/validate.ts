// drbook validate FILE...: every problem of every file, with file:line:col.
import { formatIssue } from '../../core/errors.js';
import { validateFile } from '../../runbook/validate.js';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { fileProblem } from '../file-args.js';
import { builtinActions } from '../../actions/registry.js';

export const spec: CommandSpec = {
  name: 'validate',
  usage: 'drbook validate FILE...',
  summary: 'Check runbooks and inventories (told apart by their `kind`) without running anything.',
  details: 'Reports every error with file:line:col, the key path and what was expected. Exit 0 when all are valid, 2 otherwise.',
  options: {},
  optionHelp: [],
  positionals: [1, Infinity],
};

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
