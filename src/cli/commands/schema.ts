// drbook schema: the JSON Schema of the runbook format (each action's `with:` included),
// or with --inventory of the inventory format, for editors (yaml-language-server).
import { inventoryJsonSchema, runbookJsonSchema } from '../../runbook/json-schema.js';
import type { ParsedArgs } from '../args.js';
import { builtinActions } from '../../actions/registry.js';

import { spec } from '../specs/schema.js';

export { spec };

export default async function schemaCommand({ values }: ParsedArgs): Promise<number> {
  const schema = values.inventory === true ? inventoryJsonSchema() : runbookJsonSchema(builtinActions);
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
  return 0;
}
