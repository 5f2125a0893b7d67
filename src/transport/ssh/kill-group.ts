// Ending a remote command for a timeout or an abort: closing its channel would leave the
// processes running, so a second channel (on the slot the limiter holds back for this)
// TERMs the command's process group, then KILLs whatever is still alive after the grace
// period.

import type { Client } from 'ssh2';
import type { ChannelLimiter } from './channel-limiter.js';
import { buildKillCommand } from './remote-command.js';
import { startChannel, type RunningChannel } from './run-channel.js';

export interface KillContext {
  client: Client;
  limiter: ChannelLimiter;
  become: boolean;
  graceMs: number;
}

/** How long to wait for the marker line that carries the process group id. */
const MARKER_WAIT_MS = 5000;
/** After the kill, how long the channel may take to close by itself. */
const CLOSE_WAIT_MS = 1000;

/** Resolves with the signal that ended the group ('SIGTERM' or 'SIGKILL'), undefined if none was sent. */
export async function killProcessGroup(ctx: KillContext, pgid: Promise<number | undefined>, channel: RunningChannel): Promise<string | undefined> {
  const group = await within(pgid, MARKER_WAIT_MS);
  let signal: string | undefined;
  if (group !== undefined) {
    const release = await ctx.limiter.acquire('control');
    try {
      let said = '';
      const killer = await startChannel(ctx.client, buildKillCommand(group, ctx.become, ctx.graceMs), {
        stdout: (chunk) => (said += chunk.toString()),
        stderr: () => {},
      });
      await killer.finished;
      signal = said.includes('KILL') ? 'SIGKILL' : 'SIGTERM';
    } catch {
      // The connection is gone: the command's own channel reports that as unreachable.
    } finally {
      release();
    }
  }
  // Something outside the group (a daemon that called setsid) may still hold the output open.
  const closed = await within(
    channel.finished.then(
      () => true,
      () => true,
    ),
    CLOSE_WAIT_MS,
  );
  if (!closed) channel.close();
  return signal;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      () => (clearTimeout(timer), resolve(undefined)),
    );
  });
}
