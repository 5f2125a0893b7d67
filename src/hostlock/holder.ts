// Starting the holder over the run's own transport (the host's one SSH connection; a
// child process locally) and keeping it alive: its stdin is a stream drbook keeps
// open, with a heartbeat byte over SSH, and ends on release. The holder's report (the
// markers and in-flight runs it found) arrives on stdout while the command goes on.

import { PassThrough } from 'node:stream';
import { errorMessage } from '../core/errors.js';
import type { ExecResult, Transport } from '../core/transport.js';
import { holderCommand, LineSplitter, parseHolderLine } from './holder-script.js';
import type { LockInfo, MarkerEntry } from './records.js';

/** How often a heartbeat byte goes to an SSH holder, and how long the holder waits for one. */
export const HEARTBEAT_MS = 20_000;
export const HEARTBEAT_TIMEOUT_S = 120;
/** After stdin closed, how long the holder may take to exit before it is killed. */
const RELEASE_WAIT_MS = 5_000;

export type HolderOutcome = { kind: 'locked'; held: Holder } | { kind: 'busy'; holder?: LockInfo; raw?: string } | { kind: 'no-flock' } | { kind: 'failed'; message: string; cause?: unknown };

export interface HolderReport {
  holderPid: number;
  markers: MarkerEntry[];
  /** Runs with a command in flight on the host. */
  inflight: string[];
}

export class Holder {
  private isAlive = true;
  readonly ended: Promise<void>;

  constructor(
    readonly report: HolderReport,
    private readonly stdin: PassThrough,
    running: Promise<unknown>,
    private readonly kill: () => void,
    private readonly stopBeat: () => void,
  ) {
    this.ended = running.then(
      () => undefined,
      () => undefined,
    );
    void this.ended.then(() => (this.isAlive = false));
  }

  /** False once the holder ended: released, killed on the host, or its connection dropped. */
  get alive(): boolean {
    return this.isAlive;
  }

  /** Close its stdin and wait for it to exit (the kernel releases the lock then). Safe twice. */
  async release(): Promise<void> {
    this.stopBeat();
    this.stdin.end();
    const exited = await Promise.race([this.ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), RELEASE_WAIT_MS).unref())]);
    if (!exited) {
      this.kill();
      await this.ended;
    }
  }
}

export async function startHolder(transport: Transport, dir: string, info: Omit<LockInfo, 'holderPid'>): Promise<HolderOutcome> {
  const overSsh = transport.kind === 'ssh';
  const stdin = new PassThrough();
  const abort = new AbortController();
  let reported: (outcome: HolderOutcome) => void = () => {};
  const outcome = new Promise<HolderOutcome>((resolve) => (reported = resolve));
  const report: HolderReport = { holderPid: 0, markers: [], inflight: [] };
  let busy = false;
  let busyHolder: { info?: LockInfo; raw: string } | undefined;
  let problem: HolderOutcome | undefined;
  const beat = overSsh ? setInterval(() => stdin.write('.'), HEARTBEAT_MS) : undefined;
  beat?.unref();
  const stopBeat = () => beat && clearInterval(beat);

  let running!: Promise<ExecResult>;
  const lines = new LineSplitter((line) => {
    const parsed = parseHolderLine(line);
    if (!parsed) return;
    if (parsed.kind === 'marker') report.markers.push(parsed.marker);
    else if (parsed.kind === 'inflight') report.inflight.push(parsed.runId);
    else if (parsed.kind === 'busy') busy = true;
    else if (parsed.kind === 'holder') busyHolder = { info: parsed.info, raw: parsed.raw };
    else if (parsed.kind === 'no-flock') problem = { kind: 'no-flock' };
    else if (parsed.kind === 'mkdir-failed') problem = { kind: 'failed', message: `cannot create ${dir}: ${parsed.message}` };
    else if (parsed.kind === 'open-failed') problem = { kind: 'failed', message: `cannot open ${dir}/lock` };
    else if (parsed.kind === 'locked') {
      report.holderPid = parsed.holderPid;
      reported({ kind: 'locked', held: new Holder(report, stdin, running, () => abort.abort(), stopBeat) });
    }
  });
  running = transport.exec({
    command: holderCommand(dir, info, overSsh ? HEARTBEAT_TIMEOUT_S : undefined),
    stdin,
    longLived: true,
    signal: abort.signal,
    onOutput: (stream, text) => stream === 'stdout' && lines.push(text),
  });
  running.then(
    (result) => {
      lines.end();
      stopBeat();
      if (problem) return reported(problem);
      if (busy) return reported({ kind: 'busy', holder: busyHolder?.info, raw: busyHolder?.raw });
      const said = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ');
      reported({ kind: 'failed', message: `the lock holder ended at once (exit ${result.exitCode ?? result.signal})${said ? `: ${said}` : ''}` });
    },
    (error) => {
      stopBeat();
      reported({ kind: 'failed', message: errorMessage(error), cause: error });
    },
  );
  return outcome;
}
