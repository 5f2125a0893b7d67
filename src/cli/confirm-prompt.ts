// The operator's answer to a `confirm` step. One question at a time, even when several
// hosts reach the gate together; one answer serves every host of that step.

import { createInterface } from 'node:readline/promises';

export function createConfirm(options: {
  yes: boolean;
  interactive: boolean;
  /** The renderer's own prompt (listr2), else a readline prompt on stderr. */
  ask?: (question: string) => Promise<string>;
}): (message: string) => Promise<boolean> {
  const askLine = options.ask ?? askOnStderr;
  const answers = new Map<string, Promise<boolean>>();
  return (message) => {
    if (options.yes) return Promise.resolve(true);
    if (!options.interactive) return Promise.resolve(false);
    let answer = answers.get(message);
    if (!answer) {
      answer = askLine(`${message} [y/N] `).then((reply) => /^y(es)?$/i.test(reply.trim()));
      answers.set(message, answer);
    }
    return answer;
  };
}

async function askOnStderr(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(`\n? ${question}`);
  } finally {
    rl.close();
  }
}
