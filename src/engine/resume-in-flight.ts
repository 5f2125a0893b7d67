// Resume, before anything is re-planned: what became of the changes that were cut off
// in flight. The journal cannot say (intent, no result); each change's check asks the host.

import { replayJournal } from '../journal/replay.js';
import { probeChange, type ProbeEnv } from './change-check.js';
import type { RunRecorder } from './recorder.js';

/**
 * Resume: every change cut off in flight (intent, no result) is resolved by its check
 * before anything is re-planned, and the finding journaled as its result: applied (a
 * later rollback undoes it; when it was its host's last change of the step, that host's
 * step is done), reverted (it did not happen), or cannot tell — then the
 * step fails and the normal failure path runs. A change without a check stays in
 * flight: its step is planned and run again (a `run:` step without `check:` must be
 * safe to run twice). Resolves with the failure, if any.
 */
export async function resolveInFlight(recorder: RunRecorder, probeEnv: ProbeEnv): Promise<string | undefined> {
  const cutOff = replayJournal(recorder.entries)
    .inFlightChanges()
    .filter((c) => c.check);
  const doubts = await Promise.all(
    cutOff.map(async (change) => {
      const found = await probeChange(change, 'resume', probeEnv);
      const base = { t: 'result' as const, stepId: change.stepId, host: change.host, index: change.index, durationMs: 0, resolved: found.verdict };
      if (found.verdict === 'applied') {
        await recorder.record({ ...base, ok: true, outputTail: `cut off in flight; its check says applied: ${found.detail}` });
        // Its host's last change for the step: the step is done there, not planned again.
        if (change.lastOfStep) await recorder.record({ t: 'host', stepId: change.stepId, host: change.host, state: 'done' });
      } else if (found.verdict === 'reverted') await recorder.record({ ...base, ok: false, error: `cut off before it happened (its check says reverted: ${found.detail})` });
      else {
        const error = `cut off in flight, and its check cannot tell whether it happened: ${found.detail}`;
        await recorder.record({ ...base, ok: false, error });
        await recorder.record({ t: 'host', stepId: change.stepId, host: change.host, state: 'failed', error });
        return `[host ${change.host}, step ${change.stepId}] change #${change.index} (${change.description}): ${error}`;
      }
      return undefined;
    }),
  );
  const failures = doubts.filter((d): d is string => !!d);
  return failures.length ? failures.join('\n') : undefined;
}
