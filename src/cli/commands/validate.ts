// drbook validate FILE...: every problem of every file, with file:line:col.
import { formatIssue } from '../../core/errors.js';
import { validateFile } from '../../runbook/validate.js';
import { builtinActions } from '../../actions/registry.js';
import { formatHelp, parseCommandArgs, requirePositionals, wantsHelp, type CommandSpec } from '../args.js';

const spec: CommandSpec = {
  name: 'validate',
  usage: 'drbook validate FILE...',
  summary: 'Check runbooks and inventories (told apart by their `kind`) without running anything.',
  details: 'Reports every error with file:line:col, the key path and what was expected. Exit 0 when all are valid, 2 otherwise.',
  options: {},
  optionHelp: [],
};

export default async function validateCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) return void process.stdout.write(formatHelp(spec)), 0;
  const { positionals } = parseCommandArgs(spec, argv);
  requirePositionals(spec, positionals, 1, Infinity);
  let bad = 0;
  for (const file of positionals) {
    const issues = await validateFile(file, builtinActions);
    if (issues.length === 0) process.stdout.write(`${file}: ok\n`);
    else {
      bad++;
      for (const issue of issues) process.stderr.write(`${formatIssue({ ...issue, file: issue.file ?? file })}\n`);
    }
  }
  return bad ? 2 : 0;
}
