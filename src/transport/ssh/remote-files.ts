// What the SSH transport needs from "the files on the host", whichever way they are
// reached: over SFTP as the login user, or through shell commands under sudo (become).

import type { Readable, Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import type { FileInfo } from '../../core/transport.js';

export interface RemoteFiles {
  stat(path: string): Promise<FileInfo | null>;
  readFile(path: string): Promise<Buffer>;
  /** Atomic: a temporary name in the same directory, fsync'd, renamed over `path`. */
  writeFile(path: string, data: Buffer, mode: number): Promise<void>;
  readDir(path: string): Promise<string[]>;
  /** Stream `source` into `path` (created or truncated, then fsync'd). */
  upload(source: Readable, path: string, mode: number): Promise<void>;
  /** Stream the file at `path` into `sink` (left open). */
  download(path: string, sink: Writable): Promise<void>;
}

export interface ScriptResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** What the file implementations may ask of the transport. */
export interface FilesHost {
  readonly hostName: string;
  /** Run shell code on the host (through sudo when become is set). Rejects only when the host is unreachable. */
  runScript(script: string, io?: { stdin?: string | Buffer | Readable; stdout?: Writable; what?: string }): Promise<ScriptResult>;
  /** Use the connection's SFTP session. Do not run scripts inside `use`: the session holds a channel slot. */
  withSftp<T>(use: (sftp: SFTPWrapper) => Promise<T>, what: string): Promise<T>;
}

/** Permission bits and type from a raw st_mode. */
export function fileInfoFromMode(mode: number, uid: number, gid: number, size: number): FileInfo {
  const format = mode & 0o170000;
  const type = format === 0o100000 ? 'file' : format === 0o040000 ? 'dir' : format === 0o120000 ? 'symlink' : 'other';
  return { type, mode: mode & 0o7777, uid, gid, size };
}

/** `.name.drbook-<nonce>.tmp` beside `path`, so the final rename stays on one filesystem. */
export function tempNameFor(path: string, nonce: string): string {
  const slash = path.lastIndexOf('/');
  const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
  return `${dir}.${path.slice(slash + 1)}.drbook-${nonce}.tmp`;
}
