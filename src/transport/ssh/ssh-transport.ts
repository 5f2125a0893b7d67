// A host reached over SSH (ssh2). ONE connection per host, opened on first use and
// reused by every call; at most `maxChannels` session channels on it at a time, the
// rest queue. A connection that drops makes whatever was running on it reject with
// kind 'unreachable' (its outcome is unknown); the next call, or reconnect(), opens a
// new connection, and the engine re-probes before deciding anything.

import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import { DrbookError } from '../../core/errors.js';
import type { Host } from '../../core/inventory.js';
import type { ExecRequest, ExecResult, FileInfo, Transport } from '../../core/transport.js';
import { ChannelLimiter } from './channel-limiter.js';
import type { ConnectDeps } from './connect.js';
import { ConnectionKeeper, type Live } from './connection-keeper.js';
import { downloadVerified, uploadVerified } from './copy-verified.js';
import { killProcessGroup } from './kill-group.js';
import { buildExecCommand, isSudoPasswordFailure, MarkerFilter } from './remote-command.js';
import type { FilesHost, RemoteFiles, ScriptResult } from './remote-files.js';
import { resolveSshTarget, type ResolveOptions, type SshTarget } from './resolve-target.js';
import { startChannel } from './run-channel.js';
import { createSftpFiles } from './sftp-files.js';
import { createShellFiles } from './shell-files.js';
import { interpretExit, OutputCollector } from './exec-output.js';

export interface SshTransportOptions extends ResolveOptions, ConnectDeps {
  /** Already resolved target (the pool resolves once); otherwise resolved from the host. */
  target?: SshTarget;
  /** Between SIGTERM and SIGKILL of a timed-out command's process group. */
  killGraceMs?: number;
}

interface RunIo {
  stdin?: string | Buffer | Readable;
  stdout?: Writable;
  env?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  onOutput?: ExecRequest['onOutput'];
  longLived?: boolean;
  what: string;
}

export class SshTransport implements Transport, FilesHost {
  readonly kind = 'ssh' as const;
  readonly hostName: string;
  readonly target: SshTarget;
  private readonly limiter: ChannelLimiter;
  private readonly connection: ConnectionKeeper;
  private readonly files: RemoteFiles;

  constructor(
    host: Host,
    private readonly options: SshTransportOptions = {},
  ) {
    this.hostName = host.name;
    this.target = options.target ?? resolveSshTarget(host, options);
    this.limiter = new ChannelLimiter(this.target.maxChannels);
    const deps = { ...options, auth: { env: options.env, ...options.auth } };
    this.connection = new ConnectionKeeper(this.hostName, this.target, deps, this.limiter);
    this.files = this.target.become ? createShellFiles(this) : createSftpFiles(this);
  }

  /** Connections opened to the target so far (jump hops not counted). */
  get connectionsOpened(): number {
    return this.connection.connectionsOpened;
  }

  /** Open the connection now (otherwise the first call does). */
  async connect(): Promise<void> {
    await this.connection.live();
  }

  /** Drop the current connection, if any, and open a new one (the engine re-probes afterwards). */
  reconnect(): Promise<void> {
    return this.connection.reconnect();
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    const outcome = await this.run(request.command.toShell(), {
      stdin: request.stdin,
      // Secrets travel in the environment, which the wrapper reads from stdin (remote-command.ts).
      env: { ...request.env, ...request.command.secretEnv() },
      timeoutMs: request.timeoutMs,
      signal: request.signal,
      onOutput: request.onOutput,
      longLived: request.longLived,
      what: request.command.toDisplay(),
    });
    if (this.target.become && !outcome.markerSeen && isSudoPasswordFailure(outcome.stderr)) {
      throw new DrbookError('input', `sudo on ${this.target.address} wants a password for ${this.target.user}; drbook only runs sudo non-interactively (sudo -n)`, {
        host: this.hostName,
        hint: `allow ${this.target.user} to run commands without a password (NOPASSWD in sudoers), or connect as root and drop "become"`,
      });
    }
    return outcome.result;
  }

  stat(path: string): Promise<FileInfo | null> {
    return this.files.stat(path);
  }

  readFile(path: string): Promise<Buffer> {
    return this.files.readFile(path);
  }

  writeFile(path: string, data: string | Buffer, options: { mode?: number } = {}): Promise<void> {
    return this.files.writeFile(path, typeof data === 'string' ? Buffer.from(data) : data, options.mode ?? 0o644);
  }

  readDir(path: string): Promise<string[]> {
    return this.files.readDir(path);
  }

  putFile(localPath: string, remotePath: string, options: { mode?: number } = {}): Promise<{ sha256: string }> {
    return uploadVerified(this, this.files, localPath, remotePath, options.mode);
  }

  getFile(remotePath: string, localPath: string): Promise<{ sha256: string }> {
    return downloadVerified(this, this.files, remotePath, localPath);
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  // ---- FilesHost ----

  async runScript(script: string, io: { stdin?: string | Buffer | Readable; stdout?: Writable; what?: string } = {}): Promise<ScriptResult> {
    const outcome = await this.run(script, { ...io, what: io.what ?? script.split('\n')[0]! });
    return { code: outcome.result.exitCode, stdout: outcome.stdout, stderr: outcome.stderr };
  }

  withSftp<T>(use: (sftp: SFTPWrapper) => Promise<T>, what: string): Promise<T> {
    return this.connection.withSftp(use, what);
  }

  // ---- internals ----

  private async run(script: string, io: RunIo) {
    const started = Date.now();
    const output = new OutputCollector(io.onOutput, io.stdout);
    const release = io.longLived
      ? this.holdChannel()
      : await this.limiter.acquire('normal', io.signal).catch((error) => {
          if (io.signal?.aborted) return undefined; // aborted while queued: it never ran
          throw error;
        });
    if (!release) return interpretExit({ started, output, exit: {}, markerSeen: false, timedOut: false, cancelled: true });
    try {
      const live = await this.connection.live();
      const nonce = randomBytes(8).toString('hex');
      const { command, preamble } = buildExecCommand({ script, nonce, become: this.target.become, env: io.env });
      let onPgid: (pgid: number | undefined) => void = () => {};
      const pgid = new Promise<number | undefined>((resolve) => (onPgid = resolve));
      const marker = new MarkerFilter(nonce, (chunk) => output.stderr(chunk), onPgid);
      const channel = await this.connection
        .track(live, startChannel(live.conn.client, command, { preamble, stdin: io.stdin, stdout: output.stdoutTarget(), stderr: (c) => marker.push(c) }), io.what)
        .catch((error) => {
          if (error instanceof DrbookError) throw error;
          throw new DrbookError('step', `cannot open an SSH channel to run: ${io.what}: ${(error as Error).message}`, { host: this.hostName, cause: error });
        });

      let timedOut = false;
      let cancelled = false;
      let killing: Promise<string | undefined> | undefined;
      const kill = () => {
        killing ??= killProcessGroup(this.killContext(live), pgid, channel);
      };
      // The timeout counts the command's own run time, not its wait for a free channel.
      const timer = io.timeoutMs ? setTimeout(() => ((timedOut = true), kill()), io.timeoutMs) : undefined;
      const onAbort = () => ((cancelled = true), kill());
      if (io.signal?.aborted) onAbort();
      else io.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const exit = await this.connection.track(live, channel.finished, io.what);
        marker.end();
        onPgid(undefined);
        const killedWith = killing ? await killing : undefined;
        return interpretExit({ started, output, exit, markerSeen: marker.found, timedOut, cancelled, killedWith });
      } finally {
        if (timer) clearTimeout(timer);
        io.signal?.removeEventListener('abort', onAbort);
      }
    } finally {
      release();
    }
  }

  /** A channel for the whole run, outside the slots of ordinary work (see ChannelLimiter.hold). */
  private holdChannel() {
    const release = this.limiter.hold();
    if (release) return release;
    throw new DrbookError(
      'input',
      `maxChannels ${this.target.maxChannels} leaves no SSH channel for drbook's lock on this host: it keeps one open for the whole run, besides one for commands and one for stopping them`,
      {
        host: this.hostName,
        hint: 'set maxChannels to 3 or more (OpenSSH allows 10 by default, MaxSessions in sshd_config)',
      },
    );
  }

  private killContext(live: Live) {
    return {
      client: live.conn.client,
      limiter: this.limiter,
      become: this.target.become,
      graceMs: this.options.killGraceMs ?? 2000,
    };
  }
}
