// drbook plan RUNBOOK = drbook run --dry-run RUNBOOK.
import type { ParsedArgs } from '../args.js';
import runCommand from './run.js';

import { spec } from '../specs/plan.js';

export { spec };

export default function planCommand(args: ParsedArgs): Promise<number> {
  return runCommand(args, true);
}
