// One exec channel: open it, feed stdin, hand out stdout/stderr, settle with the exit
// status when the channel closes. Nothing here knows about timeouts or limits.

import { Readable, type Writable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { sleep } from '@drbook/system';

export interface ChannelExit {
  /** undefined when the server sent no exit status (the channel just closed). */
  code?: number | null;
  signal?: string;
}

export interface RunChannelOptions {
  /** Written before stdin (the wrapper's environment, see remote-command.ts). */
  preamble?: Buffer;
  stdin?: string | Buffer | Readable;
  /** A Writable gets stdout with backpressure (the channel pauses while it is full). */
  stdout: Writable | ((chunk: Buffer) => void);
  stderr: (chunk: Buffer) => void;
}

export interface RunningChannel {
  /** Settles when the channel has closed; rejects only if stdin could not be read. */
  finished: Promise<ChannelExit>;
  /**
   * Close the channel from our side (the remote process is NOT killed by this). sshd
   * keeps a channel whose process still runs, so `finished` settles after a short wait
   * even if the server never confirms.
   */
  close(): void;
}

/** How long a channel we closed may take to confirm before we stop waiting for it. */
const CLOSE_CONFIRM_MS = 2000;

/**
 * Open an exec channel; rejects if the server refuses it for good (or the connection is gone).
 * sshd frees a session slot only after it has finished closing the channel, a moment
 * after our side saw the close: a channel opened at once into the freed slot can be
 * refused with "open failed" although the limiter kept us within MaxSessions. That
 * refusal is retried briefly; nothing was sent on the refused channel, so it is safe.
 */
export function startChannel(client: Client, command: string, options: RunChannelOptions): Promise<RunningChannel> {
  return retryOpenRefusals(() => openExecChannel(client, command, options));
}

/** Open a channel (exec or SFTP), retrying briefly while the server refuses it with "open failed". */
export async function retryOpenRefusals<T>(open: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open();
    } catch (error) {
      if (attempt >= OPEN_RETRY_DELAYS_MS.length || !isChannelOpenRefusal(error)) throw error;
      await sleep(OPEN_RETRY_DELAYS_MS[attempt]!);
    }
  }
}

const OPEN_RETRY_DELAYS_MS = [20, 50, 100, 200, 400];

/** ssh2's error for SSH_MSG_CHANNEL_OPEN_FAILURE (e.g. "(SSH) Channel open failure: open failed"). */
export function isChannelOpenRefusal(error: unknown): boolean {
  return error instanceof Error && /Channel open failure/i.test(error.message);
}

function openExecChannel(client: Client, command: string, options: RunChannelOptions): Promise<RunningChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (error, channel) => {
        if (error) reject(error);
        else resolve(wire(channel, options));
      });
    } catch (error) {
      reject(error); // ssh2 throws "Not connected" synchronously
    }
  });
}

function wire(channel: ClientChannel, options: RunChannelOptions): RunningChannel {
  const exit: ChannelExit = {};
  let stdinError: Error | undefined;
  let settle: () => void = () => {};
  const finished = new Promise<ChannelExit>((resolve, reject) => {
    channel.on('exit', (code: number | null, signal?: string) => {
      exit.code = code;
      if (signal) exit.signal = signal;
    });
    settle = () => (stdinError ? reject(stdinError) : resolve(exit));
    channel.on('close', settle);
  });
  if (typeof options.stdout === 'function') channel.on('data', options.stdout);
  else channel.pipe(options.stdout, { end: false });
  channel.stderr.on('data', options.stderr);
  // A channel error (e.g. write after close) must not crash the process; 'close' still follows.
  channel.on('error', () => {});
  const close = () => {
    channel.close();
    const timer = setTimeout(settle, CLOSE_CONFIRM_MS);
    finished.then(
      () => clearTimeout(timer),
      () => clearTimeout(timer),
    );
  };

  const input = options.stdin;
  if (options.preamble) channel.write(options.preamble);
  if (input === undefined) channel.end();
  else if (input instanceof Readable) {
    input.once('error', (error) => {
      stdinError = error;
      close();
    });
    input.pipe(channel);
  } else channel.end(input);

  return { finished, close };
}
