// Asking the operator for a key passphrase on the terminal, without echo. Hosts connect
// in parallel, so prompts are taken one at a time.

import { DrbookError } from '../../core/errors.js';

export type PassphrasePrompt = (question: string) => Promise<string>;

let queue: Promise<unknown> = Promise.resolve();

export const promptPassphraseOnTty: PassphrasePrompt = (question) => {
  // The queue only keeps prompts from overlapping; an earlier prompt's failure went to its own caller.
  const asked = queue.catch(() => {}).then(() => readHidden(question));
  queue = asked;
  return asked;
};

function readHidden(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) return Promise.reject(new DrbookError('input', 'cannot ask for a passphrase: standard input is not a terminal'));
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let answer = '';
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    const finish = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new DrbookError('cancelled', 'passphrase prompt interrupted'));
        if (char === '\u007f' || char === '\b') answer = answer.slice(0, -1);
        else answer += char;
      }
    };
    input.on('data', onData);
  });
}
