// SIGINT/SIGTERM: the first one stops the in-flight commands (their process trees are
// killed), the run journals that and rolls back (or only stops, with
// --on-interrupt stop). A second one abandons the rollback: the journal stays, and
// `drbook rollback RUN_ID` finishes it later.

import { setMaxListeners } from 'node:events';

export interface Interrupts {
  interrupt: AbortSignal;
  abandon: AbortSignal;
  dispose(): void;
}

export function installInterrupts(say: (text: string) => void): Interrupts {
  const interrupt = new AbortController();
  const abandon = new AbortController();
  // Every command in flight on every host listens to these (a plan of a 3- or 5-master
  // run probes dozens at once): many listeners, removed as the commands end, not a leak.
  setMaxListeners(0, interrupt.signal, abandon.signal);
  const handler = (signal: NodeJS.Signals) => {
    if (!interrupt.signal.aborted) {
      say(`${signal}: stopping the commands in flight; the run will be journaled and rolled back (send it again to abandon the rollback)`);
      interrupt.abort(signal);
    } else if (!abandon.signal.aborted) {
      say(`${signal} again: abandoning; the journal is kept — finish with \`drbook rollback <run id>\``);
      abandon.abort(signal);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    interrupt: interrupt.signal,
    abandon: abandon.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
