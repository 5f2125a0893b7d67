// `drbook schema`: its options and help, apart from its body (commands/schema.ts), so that
// `drbook schema --help` and flag errors load no body.

import type { CommandSpec } from '../args.js';

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
