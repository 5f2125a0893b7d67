// The one connection of a transport and what hangs on it: opened on demand (again after
// a drop), tracked so that anything in flight rejects as 'unreachable' the moment it
// drops, and the connection's single SFTP session, which holds a channel slot while
// open and gives it back when idle and someone is queued.

import type { SFTPWrapper } from 'ssh2';
import { DrbookError } from '../../core/errors.js';
import type { ChannelLimiter } from './channel-limiter.js';
import { openConnection, type ConnectDeps, type SshConnection } from './connect.js';
import type { SshTarget } from './resolve-target.js';
import { retryOpenRefusals } from './run-channel.js';

export interface Live {
  conn: SshConnection;
  dead: boolean;
  cause?: Error;
  onDrop: Set<() => void>;
  sftp?: SftpSession;
}

interface SftpSession {
  ready: Promise<SFTPWrapper>;
  busy: number;
  /** Gives the session's channel slot back (idempotent). */
  release?: () => void;
}

export class ConnectionKeeper {
  /** Connections opened to the target so far (jump hops not counted). */
  connectionsOpened = 0;
  private current?: Live;
  private connecting?: Promise<Live>;
  private closed = false;

  constructor(
    private readonly hostName: string,
    private readonly target: SshTarget,
    private readonly deps: ConnectDeps,
    private readonly limiter: ChannelLimiter,
  ) {
    // Queued work may take the slot of an idle SFTP session.
    limiter.addReclaimer(() => {
      const live = this.current;
      if (live?.sftp && live.sftp.busy === 0) this.closeSftp(live);
    });
  }

  /** Drop the current connection, if any, and open a new one. */
  async reconnect(): Promise<void> {
    if (this.current) this.drop(this.current, new Error('reconnecting'));
    await this.live();
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.connecting;
    if (this.current) this.drop(this.current, new Error('transport closed'));
    if (pending)
      await pending.then(
        (live) => this.drop(live, new Error('transport closed')),
        () => {},
      );
  }

  async withSftp<T>(use: (sftp: SFTPWrapper) => Promise<T>, what: string): Promise<T> {
    const live = await this.live();
    const session = (live.sftp ??= this.openSftp(live));
    session.busy++;
    try {
      const sftp = await this.track(live, session.ready, what);
      return await this.track(live, use(sftp), what);
    } finally {
      session.busy--;
      if (session.busy === 0 && this.limiter.queued > 0) this.closeSftp(live);
    }
  }

  live(): Promise<Live> {
    if (this.closed) return Promise.reject(new DrbookError('internal', `the SSH transport of ${this.hostName} is closed`, { host: this.hostName }));
    if (this.current && !this.current.dead) return Promise.resolve(this.current);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<Live> {
    const conn = await openConnection(this.target, this.deps);
    this.connectionsOpened++;
    const live: Live = { conn, dead: false, onDrop: new Set() };
    conn.client.on('error', (error: Error) => (live.cause ??= error));
    conn.client.on('close', () => this.drop(live, live.cause ?? new Error('connection closed')));
    for (const hop of conn.hops) hop.on('error', (error: Error) => (live.cause ??= error));
    this.current = live;
    return live;
  }

  private drop(live: Live, cause: Error): void {
    if (live.dead) return;
    live.dead = true;
    live.cause ??= cause;
    live.sftp?.release?.(); // its channel died with the connection
    live.sftp = undefined;
    for (const fail of [...live.onDrop]) fail();
    live.onDrop.clear();
    live.conn.end();
  }

  /** Settle like `promise`, but reject as unreachable the moment the connection drops. */
  track<T>(live: Live, promise: Promise<T>, what: string): Promise<T> {
    if (live.dead) {
      // The connection is dead: the caller gets 'unreachable' below; the command's own rejection would only repeat it.
      promise.catch(() => {});
      return Promise.reject(this.unreachable(live, what));
    }
    return new Promise<T>((resolve, reject) => {
      const fail = () => reject(this.unreachable(live, what));
      live.onDrop.add(fail);
      promise.then(
        (value) => (live.onDrop.delete(fail), resolve(value)),
        (error) => (live.onDrop.delete(fail), reject(live.dead ? this.unreachable(live, what) : error)),
      );
    });
  }

  unreachable(live: Live, what: string): DrbookError {
    const reason = live.cause?.message ?? 'connection closed';
    return new DrbookError('unreachable', `lost the SSH connection to ${this.target.address}:${this.target.port} (${reason}) during: ${what}; its outcome is unknown`, {
      host: this.hostName,
      cause: live.cause,
      hint: 're-probe the host before deciding whether to retry or roll back',
    });
  }

  private openSftp(live: Live): SftpSession {
    const session: SftpSession = { busy: 0, ready: undefined as unknown as Promise<SFTPWrapper> };
    session.ready = (async () => {
      const release = await this.limiter.acquire('normal');
      session.release = release;
      if (live.dead) {
        release();
        throw this.unreachable(live, 'open the SFTP session');
      }
      try {
        const sftp = await retryOpenRefusals(() => new Promise<SFTPWrapper>((resolve, reject) => live.conn.client.sftp((error, s) => (error ? reject(error) : resolve(s)))));
        sftp.on('close', () => {
          if (live.sftp === session) live.sftp = undefined;
          release();
        });
        return sftp;
      } catch (error) {
        if (live.sftp === session) live.sftp = undefined;
        release();
        throw error;
      }
    })();
    // Callers await session.ready themselves and see its error; this only keeps an unawaited session from an unhandled rejection.
    session.ready.catch(() => {});
    return session;
  }

  private closeSftp(live: Live): void {
    const session = live.sftp;
    if (!session) return;
    live.sftp = undefined;
    session.ready.then(
      (sftp) => sftp.end(),
      () => {},
    );
  }
}
