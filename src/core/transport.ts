// The tiny transport interface (pyinfra connectors, Ansible connection plugins):
// run a command, read/write/stat files, move files between the operator's machine and
// the host, close. It returns data and never prints. Local and SSH are interchangeable:
// every action is written against this interface only.

import type { Readable } from 'node:stream';
import type { ShellCommand } from '../shell/command.js';

export interface ExecRequest {
  command: ShellCommand;
  /** Kill the command's whole process tree after this long. */
  timeoutMs?: number;
  /** Abort (SIGINT/SIGTERM of drbook): kills the command's whole process tree. */
  signal?: AbortSignal;
  /** A stream stays open until it ends (the host lock's holder lives as long as its stdin). */
  stdin?: string | Buffer | Readable;
  env?: Record<string, string>;
  /**
   * Runs for the whole run (the host lock's holder): over SSH its channel is taken out
   * of the pool of ordinary work instead of occupying one of its slots.
   */
  longLived?: boolean;
  /** Streamed output, for progress display (already decoded as UTF-8). */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

export interface ExecResult {
  exitCode: number | null; // null when killed by a signal
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
}

export interface FileInfo {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number; // permission bits only, e.g. 0o700
  uid: number;
  gid: number;
  size: number;
}

export interface Transport {
  /** The inventory name of the host this transport reaches. */
  readonly hostName: string;
  readonly kind: 'local' | 'ssh';
  /** Run a command through `sh -c` on the host. Never rejects for a non-zero exit. */
  exec(request: ExecRequest): Promise<ExecResult>;
  /** null when the path does not exist (lstat: symlinks are not followed). */
  stat(path: string): Promise<FileInfo | null>;
  readFile(path: string): Promise<Buffer>;
  /** Atomic: written to a temporary name, fsync'd, renamed. */
  writeFile(path: string, data: string | Buffer, options?: { mode?: number }): Promise<void>;
  readDir(path: string): Promise<string[]>;
  /** Copy a file from the operator's machine to the host; resolves with the SHA-256 checked on both ends. */
  putFile(localPath: string, remotePath: string, options?: { mode?: number }): Promise<{ sha256: string }>;
  /** Copy a file from the host to the operator's machine. */
  getFile(remotePath: string, localPath: string): Promise<{ sha256: string }>;
  close(): Promise<void>;
}

/** Opens (and caches) one transport per host: one connection per host for the whole run. */
export interface TransportPool {
  get(hostName: string): Promise<Transport>;
  closeAll(): Promise<void>;
}
