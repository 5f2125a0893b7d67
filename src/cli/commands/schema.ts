// drbook schema: the JSON Schema of the runbook format, for editors (yaml-language-server).
import { runbookJsonSchema } from '../../runbook/json-schema.js';
import { builtinActions } from '../../actions/registry.js';
import { formatHelp, parseCommandArgs, wantsHelp, type CommandSpec } from '../args.js';

const spec: CommandSpec = {
  name: 'schema',
  usage: 'drbook schema > drbook-runbook.schema.json',
  summary: 'Print the JSON Schema of the runbook format.',
  details: 'Point your editor at it, e.g. with the comment `# yaml-language-server: $schema=./drbook-runbook.schema.json` at the top of a runbook.',
  options: {},
  optionHelp: [],
};

export default async function schemaCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) return void process.stdout.write(formatHelp(spec)), 0;
  parseCommandArgs(spec, argv);
  process.stdout.write(`${JSON.stringify(runbookJsonSchema(builtinActions), null, 2)}\n`);
  return 0;
}
