// Reading a check's verdict (the protocol of CheckVerdict in action.ts): exit 0, and the
// first line of stdout starts with `applied` or `reverted` (then `:`, a space, or
// nothing); anything else is "cannot tell", with the check's own words.

import type { CheckVerdict } from '../core/action.js';
import type { ExecResult } from '../core/transport.js';

export interface CheckOutcome {
  verdict: CheckVerdict;
  /** Why: the check's own words, or why it could not run. */
  detail: string;
}

/** The verdict protocol: exit 0, and the first line of stdout starts with `applied` or `reverted` (then `:`, a space, or nothing). */
export function readVerdict(result: ExecResult): CheckOutcome {
  const out = result.stdout.trim();
  const first = out.split('\n')[0]!.trim();
  const word = /^(applied|reverted)(?=$|[\s:])/.exec(first)?.[1] as CheckVerdict | undefined;
  const rest = (text: string) => text.replace(/^(applied|reverted)\s*:?\s*/, '').trim();
  if (result.exitCode !== 0) {
    const how = result.timedOut ? 'timed out' : result.cancelled ? 'was cancelled' : `exited with ${result.exitCode ?? result.signal}`;
    const said = (result.stderr.trim() || out).split('\n').slice(-3).join(' / ');
    return { verdict: 'unknown', detail: `the check ${how}${said ? `: ${said}` : ''}` };
  }
  if (!word) return { verdict: 'unknown', detail: first ? first.replace(/^cannot tell\s*:?\s*/, '') : 'the check printed nothing' };
  return { verdict: word, detail: rest(first) || word };
}
