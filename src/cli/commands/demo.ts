// drbook demo: a disaster and its recovery, end to end, on a local sandbox.
import { join } from 'node:path';
import { runDemo } from '../../rehearsal/demo.js';
import { resolveStateDir } from '../../journal/state-dir.js';
import { stringOption, type ParsedArgs } from '../args.js';
import { createOutput } from '../render/select.js';
import { outputMode } from '../run-setup.js';
import { installInterrupts } from '../signals.js';

import { spec } from '../specs/demo.js';

export { spec };

export default async function demoCommand({ values }: ParsedArgs): Promise<number> {
  const stateDir = resolveStateDir(stringOption(values, 'state-dir'));
  const output = await createOutput(outputMode(values), { dryRun: false });
  const interrupts = installInterrupts(output.say, { kind: 'run', rollback: true, abandonable: false });
  try {
    const outcome = await runDemo({
      dir: stringOption(values, 'dir') ?? join(stateDir, 'demo'),
      ipPrefix: stringOption(values, 'ip-prefix'),
      keep: values.keep === true,
      stateDir,
      bus: output.bus,
      print: (text) => process.stdout.write(text),
      interrupt: interrupts.interrupt,
    });
    await output.finished();
    return outcome.exitCode;
  } finally {
    interrupts.dispose();
  }
}
