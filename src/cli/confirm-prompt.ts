// The operator's answer to a `confirm` step. One question at a time, even when several
// hosts reach the gate together; one answer serves every host of that step.

import { createInterface } from 'node:readline/promises';

export function createConfirm(options: { yes: boolean; interactive: boolean }): (message: string) => Promise<boolean> {
  const answers = new Map<string, Promise<boolean>>();
  return (message) => {
    if (options.yes) return Promise.resolve(true);
    if (!options.interactive) return Promise.resolve(false);
    let answer = answers.get(message);
    if (!answer) {
      answer = ask(message);
      answers.set(message, answer);
    }
    return answer;
  };
}

async function ask(message: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const reply = await rl.question(`\n? ${message} [y/N] `);
    return /^y(es)?$/i.test(reply.trim());
  } finally {
    rl.close();
  }
}
