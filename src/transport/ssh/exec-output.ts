// Collecting a remote command's output and turning the channel's ending into an
// ExecResult shaped exactly like the local transport's.

import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ExecRequest, ExecResult } from '../../core/transport.js';
import type { ChannelExit } from './run-channel.js';

export class OutputCollector {
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private readonly outDecoder = new StringDecoder('utf8');
  private readonly errDecoder = new StringDecoder('utf8');

  constructor(
    private readonly onOutput?: ExecRequest['onOutput'],
    private readonly sink?: Writable,
  ) {}

  /** Where the channel's stdout goes: the caller's stream, or collected here. */
  stdoutTarget(): Writable | ((chunk: Buffer) => void) {
    if (this.sink) return this.sink;
    return (chunk: Buffer) => {
      this.out.push(chunk);
      if (this.onOutput) this.emit('stdout', this.outDecoder.write(chunk));
    };
  }

  stderr(chunk: Buffer): void {
    this.err.push(chunk);
    if (this.onOutput) this.emit('stderr', this.errDecoder.write(chunk));
  }

  get stdoutBytes(): Buffer {
    return Buffer.concat(this.out);
  }

  get stderrBytes(): Buffer {
    return Buffer.concat(this.err);
  }

  private emit(stream: 'stdout' | 'stderr', text: string): void {
    if (text) this.onOutput!(stream, text);
  }
}

export interface ExitFacts {
  started: number;
  output: OutputCollector;
  exit: ChannelExit;
  /** The wrapper's marker line was seen: the command itself really started. */
  markerSeen: boolean;
  timedOut: boolean;
  cancelled: boolean;
  /** The signal drbook ended the process group with. */
  killedWith?: string;
}

export interface RunOutcome {
  result: ExecResult;
  stdout: Buffer;
  stderr: string;
  markerSeen: boolean;
}

// `setsid -w` reports a child killed by a signal with this line and the raw wait status.
const SETSID_SIGNAL = /(?:^|\n)setsid: child \d+ did not exit normally[^\n]*\n?$/;

export function interpretExit(facts: ExitFacts): RunOutcome {
  const stdout = facts.output.stdoutBytes;
  let stderr = facts.output.stderrBytes.toString('utf8');
  let exitCode: number | null = facts.exit.code ?? null;
  let signal = facts.exit.signal;
  const setsidLine = facts.markerSeen && SETSID_SIGNAL.exec(stderr);
  if (setsidLine) {
    stderr = stderr.slice(0, setsidLine.index) + (setsidLine[0].startsWith('\n') ? '\n' : '');
    signal ??= signalName((facts.exit.code ?? 0) & 0x7f);
    exitCode = null;
  }
  if (facts.timedOut || facts.cancelled) {
    exitCode = null;
    signal = facts.killedWith ?? signal;
  }
  return {
    stdout,
    stderr,
    markerSeen: facts.markerSeen,
    result: {
      exitCode,
      ...(signal ? { signal } : {}),
      stdout: stdout.toString('utf8'),
      stderr,
      durationMs: Date.now() - facts.started,
      timedOut: facts.timedOut,
      cancelled: facts.cancelled,
    },
  };
}

function signalName(number: number): string | undefined {
  const entry = Object.entries(constants.signals).find(([, n]) => n === number);
  return entry?.[0];
}
