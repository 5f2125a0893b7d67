// drbook schema: the JSON Schema of the runbook format (each action's `with:` included),
// or with --inventory of the inventory format, for editors (yaml-language-server).
import { inventoryJsonSchema, runbookJsonSchema } from '../../runbook/json-schema.js';
import type { CommandSpec, ParsedArgs } from '../args.js';
import { builtinActions } from '../../actions/registry.js';

export const spec: CommandSpec = {
  name: 'schema',
  usage: 'drbook schema [--inventory] > drbook-runbook.schema.json',
  summary: 'Print the JSON Schema of the runbook format (or, with --inventory, of the inventory format).',
  details: `Point your editor at it, e.g. with the comment \`# yaml-language-server: $schema=./drbook-runbook.schema.json\`
at the top of a runbook. Each action's \`with:\` is described too, so an editor flags a
misspelt argument (\`bumpRevison:\`) as \`drbook validate\` does.`,
  options: { inventory: { type: 'boolean' } },
  optionHelp: [['--inventory', 'The inventory format instead (drbook schema --inventory > drbook-inventory.schema.json).']],
};

export default async function schemaCommand({ values }: ParsedArgs): Promise<number> {
  const schema = values.inventory === true ? inventoryJsonSchema() : runbookJsonSchema(builtinActions);
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return 0;
}
