// What the rollback unit tests share: a fake host whose file operations do nothing (the
// tests script only exec), journal entries written by hand, and one call that rolls a
// hand-written journal back on those hosts and returns what the engine said and journaled.
import { EventBus, type TimedEvent } from '../../../src/core/events.js';
import type { Host } from '../../../src/core/inventory.js';
import type { JournalEntry } from '../../../src/core/journal-records.js';
import type { ExecRequest, ExecResult, Transport, TransportPool } from '../../../src/core/transport.js';
import { RunRecorder } from '../../../src/engine/recorder.js';
import { rollbackRun } from '../../../src/engine/rollback.js';
import { replayJournal } from '../../../src/journal/replay.js';
import { Masker } from '../../../src/shell/masker.js';
import { header } from '../../journal/helpers.js';

/** A host reached over "ssh" whose only behaviour is its exec(); every file operation is a no-op. */
export abstract class ExecOnlyHost implements Transport {
  readonly kind = 'ssh' as const;
  constructor(readonly hostName: string) {}
  abstract exec(request: ExecRequest): Promise<ExecResult>;
  stat = async () => null;
  readFile = async () => Buffer.alloc(0);
  writeFile = async () => undefined;
  readDir = async () => [];
  putFile = async () => ({ sha256: '' });
  getFile = async () => ({ sha256: '' });
  close = async () => undefined;
}

/** A command's result as the transport reports it ("boom" on stderr when it failed). */
export const execOut = (stdout: string, exitCode = 0): ExecResult => ({ exitCode, stdout, stderr: exitCode ? 'boom' : '', durationMs: 1, timedOut: false, cancelled: false });

let clock = 0;
/** Increasing timestamps, so entries keep their order. */
export const at = () => new Date(Date.UTC(2026, 10, 23, 12, 0, 0, clock++)).toISOString();
/** A literal command, as templates compile to. */
export const lit = (v: string) => [{ t: 'lit' as const, v }];
export const result = (stepId: string, host: string, index: number, ok = true): JournalEntry => ({ t: 'result', at: at(), stepId, host, index, ok, durationMs: 1 });

export interface RollbackOptions {
  signal?: AbortSignal;
  hostHeld?: (host: string) => Promise<string | undefined>;
}

/** Rolls back run r1, journaled as `entries`, on `hosts`; returns the outcome, the events and the replayed journal. */
export async function rollbackOn(entries: JournalEntry[], hosts: Transport[], options: RollbackOptions = {}) {
  const bus = new EventBus();
  const events: TimedEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const recorder = new RunRecorder(undefined, bus, new Masker(), [
    header(
      'r1',
      hosts.map((h) => h.hostName),
    ),
    ...entries,
  ]);
  const pool: TransportPool = { get: async (name) => hosts.find((h) => h.hostName === name)!, closeAll: async () => undefined };
  const inventory = new Map<string, Host>(hosts.map((h) => [h.hostName, { name: h.hostName, connection: 'ssh', ssh: {}, vars: {}, groups: [] }]));
  const outcome = await rollbackRun({
    recorder,
    pool,
    hosts: inventory,
    run: { id: 'r1', startedAt: '', dryRun: false, stateDir: '/nonexistent' },
    secretsByHost: new Map(),
    signal: options.signal ?? new AbortController().signal,
    reason: 'test',
    hostHeld: options.hostHeld,
  });
  return { outcome, events, recorder, history: replayJournal(recorder.entries) };
}
