// The locks a run holds on its hosts, for its whole life: the engine calls
// markChanged() before every change's intent (the run's marker goes on the host before
// its first change there), guard() on every command a change runs (the in-flight
// lock), holds() before every probe of a rollback or a resume (a check read while
// another run may hold the host proves nothing), finish() once the run's outcome is
// known, release() at the very end.

import { DrbookError, errorMessage } from '../core/errors.js';
import { sh, type ShellCommand } from '../shell/command.js';
import type { JournalEntry } from '../core/journal-records.js';
import type { ExecResult } from '../core/transport.js';
import { finishCommand, guardCommand, writeMarkerCommand } from './commands.js';
import { startHolder } from './holder.js';
import { describeBusy } from './messages.js';
import type { Place } from './places.js';
import type { LockInfo, MarkerRecord, RunOrigin } from './records.js';
import { runReported } from './run-reported.js';

export type Notice = { level: 'info' | 'warn' | 'error'; host?: string; message: string };

/** The journal entry of the locking (core/journal-records.ts), without its time. */
export type HostLocksJournalEntry = Omit<Extract<JournalEntry, { t: 'hosts-locked' }>, 'at'>;

export interface HostLocksContext {
  origin: RunOrigin;
  startedAt: string;
  runHosts: string[];
  purpose: LockInfo['purpose'];
  notify: (notice: Notice) => void;
  entry: HostLocksJournalEntry;
  /** Lock a place that could not be reached when the run started, as the run's start would have. */
  lateLock: (place: Place) => Promise<void>;
}

const COMMAND_TIMEOUT_MS = 60_000;

export class HostLocks {
  private released = false;

  constructor(
    private readonly places: Place[],
    private readonly context: HostLocksContext,
  ) {
    for (const place of places) this.watch(place);
  }

  get runId(): string {
    return this.context.origin.runId;
  }

  /** What the journal keeps of the locking: hosts and folders, overrides, markers cleared, waits. */
  journalEntry(): HostLocksJournalEntry {
    return this.context.entry;
  }

  /**
   * Before a change on `host` (its intent is not journaled yet): the lock is held and the
   * run's marker is there, or it throws and the change does not begin. Before an undo it
   * never throws (a rollback goes on with its other undos): the undo's commands are then
   * refused by guard() while the lock is not held, so the undo fails, saying why.
   */
  async markChanged(host: string, kind: 'change' | 'undo' = 'change'): Promise<void> {
    const place = this.placeOf(host);
    if (!place) throw new DrbookError('internal', `host ${host} is not locked by run ${this.runId}`);
    try {
      await this.ensureHeld(place);
      if (place.marked) return;
      place.marking ??= this.writeMarkers(place).finally(() => (place.marking = undefined));
      await place.marking;
    } catch (error) {
      if (kind === 'change') throw error;
      place.refusal = error instanceof Error ? error.message : String(error);
      this.context.notify({ level: 'warn', host, message: `${place.refusal}: the undos on ${host} are not carried out` });
    }
  }

  /**
   * Before a probe of a rollback or a resume (a change's check): the run holds `host`'s
   * lock (taken again if its holder ended, or for the first time if the host could not
   * be reached at the start). Resolves undefined when it does, else why not: the probe
   * then cannot tell (another run may be changing the host), and never says reverted.
   */
  async holds(host: string): Promise<string | undefined> {
    const place = this.placeOf(host);
    if (!place) return `host ${host} is not locked by run ${this.runId}`;
    try {
      await this.ensureHeld(place);
      return undefined;
    } catch (error) {
      place.refusal = error instanceof Error ? error.message : String(error);
      return `run ${this.runId} does not hold the lock of ${host}: ${place.refusal}`;
    }
  }

  /**
   * The command a change runs on `host`, holding this run's in-flight lock there while it
   * runs; a command that fails at once, saying why, when this run does not hold the host.
   */
  guard(host: string, command: ShellCommand): ShellCommand {
    const place = this.placeOf(host);
    if (!place) return command;
    if (!place.holder?.alive) {
      const why = `drbook: not run: run ${this.runId} does not hold the lock of ${host}${place.refusal ? ` (${place.refusal})` : ''}`;
      return sh`echo ${why} >&2; exit 125`;
    }
    return guardCommand(place.dir, this.runId, command, place.holder.report.holderPid);
  }

  /**
   * The run's outcome is known. Clean (done, or verifiably rolled back): its markers go.
   * Otherwise they stay, so the next run asks about this one. Never throws: what could
   * not be cleaned is said (and a later run from this machine cleans it from the journal).
   */
  async finish(clean: boolean): Promise<void> {
    if (!clean) return;
    await Promise.all(
      this.places
        .filter((p) => p.ownMarker || p.marked)
        .map(async (place) => {
          const host = place.hosts[0]!;
          try {
            await this.ensureHeld(place);
            const said = await runReported(place.transport!, finishCommand(place.dir, this.runId), { timeoutMs: COMMAND_TIMEOUT_MS });
            if (said.has('inflight'))
              this.context.notify({ level: 'warn', host, message: `a command of run ${this.runId} is still running on ${host}: its marker stays there, and a later run waits for that command` });
            else if (said.has('finished')) place.ownMarker = place.marked = false;
          } catch (error) {
            this.context.notify({
              level: 'warn',
              host,
              message: `could not remove the marker of run ${this.runId} on ${host} (${errorMessage(error)}): a later run from this machine removes it (the journal says how the run ended); from another machine it asks about this run`,
            });
          }
        }),
    );
  }

  /** Let go of every host (the holders exit, the kernel releases their flocks). Safe twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await Promise.all(this.places.map((place) => place.holder?.release()));
  }

  private placeOf(host: string): Place | undefined {
    return this.places.find((p) => p.hosts.includes(host));
  }

  private watch(place: Place): void {
    const holder = place.holder;
    void holder?.ended.then(() => {
      if (this.released || place.holder !== holder) return;
      this.context.notify({
        level: 'warn',
        host: place.hosts[0],
        message: `the lock of ${place.hosts[0]} ended (its connection dropped, or its holder was stopped): drbook takes it again before its next change there`,
      });
    });
  }

  private async ensureHeld(place: Place): Promise<void> {
    if (place.holder?.alive) return void (place.refusal = undefined);
    if (this.released) throw new DrbookError('internal', `run ${this.runId} released its host locks already`);
    place.reacquiring ??= this.reacquire(place).finally(() => (place.reacquiring = undefined));
    await place.reacquiring;
  }

  private async reacquire(place: Place): Promise<void> {
    const host = place.hosts[0]!;
    if (!place.decided) {
      await this.context.lateLock(place);
      this.watch(place);
      this.context.notify({ level: 'info', host, message: `locked ${host}` });
      return;
    }
    const lost = `the lock of host ${host} was lost (its holder ended)`;
    const outcome = await startHolder(place.transport!, place.dir, { ...this.context.origin, purpose: this.context.purpose, at: new Date().toISOString() });
    if (outcome.kind !== 'locked') {
      const why = outcome.kind === 'busy' ? describeBusy(host, outcome.holder, outcome.raw, this.context.origin) : outcome.kind === 'no-flock' ? 'flock is missing' : outcome.message;
      // Unreachable stays unreachable: the step reconnects and re-probes, and asks again.
      const unreachable = outcome.kind === 'failed' && outcome.cause instanceof DrbookError && outcome.cause.kind === 'unreachable';
      throw new DrbookError(unreachable ? 'unreachable' : 'locked', `${lost} and cannot be taken again: ${why}; this run does not change ${host} until it has it again`, { host });
    }
    const held = outcome.held;
    const foreign = held.report.markers.filter((m) => m.runId !== this.runId && !place.accepted.has(m.runId));
    const busy = held.report.inflight.filter((id) => id !== this.runId);
    if (foreign.length || busy.length) {
      await held.release();
      const who = [...new Set([...foreign.map((m) => m.runId), ...busy])].join(', ');
      throw new DrbookError('locked', `${lost}, and meanwhile run ${who} acted on ${host}; this run does not change ${host} any more`, { host });
    }
    place.holder = held;
    place.refusal = undefined;
    this.watch(place);
    this.context.notify({ level: 'info', host, message: `took the lock of ${host} again` });
  }

  private async writeMarkers(place: Place): Promise<void> {
    const host = place.hosts[0]!;
    const now = new Date().toISOString();
    const own: MarkerRecord = { ...this.context.origin, startedAt: this.context.startedAt, at: now, hosts: this.context.runHosts };
    const by = { runId: this.runId, machine: this.context.origin.machine, user: this.context.origin.user, at: now };
    const writes: Array<[string, MarkerRecord]> = [[this.runId, own]];
    for (const { runId, marker } of place.overrides) {
      const base: MarkerRecord = marker ?? { runId, runbook: 'unknown', machine: 'unknown', user: 'unknown', pid: 0, stateDir: 'unknown', startedAt: 'unknown', at: now, hosts: [] };
      writes.push([runId, { ...base, overriddenBy: by }]);
    }
    for (const [runId, record] of writes) {
      try {
        const result = await this.exec(place, writeMarkerCommand(place.dir, runId), `${JSON.stringify(record)}\n`);
        if (result.exitCode !== 0) throw new Error((result.stderr || result.stdout).trim() || `exit ${result.exitCode ?? result.signal}`);
      } catch (error) {
        throw new DrbookError('step', `cannot write the marker of run ${runId} in ${place.dir} on ${host}: ${errorMessage(error)}; drbook does not change a host without it`, { host, cause: error });
      }
    }
    place.marked = place.ownMarker = true;
    place.overrides = [];
  }

  private exec(place: Place, command: ShellCommand, stdin?: string): Promise<ExecResult> {
    return place.transport!.exec({ command, stdin, timeoutMs: COMMAND_TIMEOUT_MS });
  }
}
