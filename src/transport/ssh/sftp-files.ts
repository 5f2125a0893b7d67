// Files over the connection's SFTP session, as the login user. Writes are pipelined
// (several requests in flight) so a large upload is not one round trip per chunk.

import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper } from 'ssh2';
import { DrbookError } from '../../core/errors.js';
import { quoteArg } from '@drbook/system';
import type { FileInfo } from '../../core/transport.js';
import { fileInfoFromMode, tempNameFor, type FilesHost, type RemoteFiles } from './remote-files.js';

const CHUNK = 32 * 1024;
const IN_FLIGHT = 16;
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;

export function createSftpFiles(host: FilesHost): RemoteFiles {
  const fail = (op: string, path: string) => (error: unknown) => {
    throw sftpError(host.hostName, op, path, error);
  };
  return {
    stat: (path) =>
      host
        .withSftp(
          (sftp) =>
            new Promise<FileInfo | null>((resolve, reject) =>
              sftp.lstat(path, (error, attrs) => {
                if (error) return (error as { code?: number }).code === NO_SUCH_FILE ? resolve(null) : reject(error);
                resolve(fileInfoFromMode(attrs.mode, attrs.uid, attrs.gid, attrs.size));
              }),
            ),
          `stat ${path}`,
        )
        .catch(fail('stat', path)),

    readFile: (path) => host.withSftp((sftp) => call<Buffer>((cb) => sftp.readFile(path, cb)), `read ${path}`).catch(fail('read', path)),

    readDir: (path) =>
      host
        .withSftp((sftp) => call<Array<{ filename: string }>>((cb) => sftp.readdir(path, cb)), `list ${path}`)
        .then((entries) => entries.map((e) => e.filename).filter((n) => n !== '.' && n !== '..'))
        .catch(fail('list', path)),

    writeFile: async (path, data, mode) => {
      const temp = tempNameFor(path, randomBytes(6).toString('hex'));
      const renamed = await host
        .withSftp(async (sftp) => {
          await writeWhole(sftp, temp, mode, chunksOf(data));
          return renameOver(sftp, temp, path);
        }, `write ${path}`)
        .catch(fail('write', path));
      // Without the posix-rename extension SFTP cannot replace a file: let mv do it.
      if (!renamed) await moveWithShell(host, temp, path);
    },

    upload: (source, path, mode) => host.withSftp((sftp) => writeWhole(sftp, path, mode, source), `upload to ${path}`).catch(fail('upload to', path)),

    download: (path, sink) => host.withSftp((sftp) => pipeline(sftp.createReadStream(path), sink, { end: false }), `download ${path}`).catch(fail('download', path)),
  };
}

/** Create/truncate `path`, write every chunk, set the mode (umask narrowed it at open), fsync, close. */
async function writeWhole(sftp: SFTPWrapper, path: string, mode: number, chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void> {
  const handle = await call<Buffer>((cb) => sftp.open(path, 'w', mode, cb));
  try {
    let position = 0;
    const pending = new Set<Promise<void>>();
    for await (const chunk of chunks) {
      for (let offset = 0; offset < chunk.length; offset += CHUNK) {
        const piece = chunk.subarray(offset, offset + CHUNK);
        const write = call<void>((cb) => sftp.write(handle, piece, 0, piece.length, position, cb));
        position += piece.length;
        const tracked = write.finally(() => pending.delete(tracked));
        pending.add(tracked);
        if (pending.size >= IN_FLIGHT) await Promise.race(pending);
      }
    }
    await Promise.all(pending);
    await call<void>((cb) => sftp.fchmod(handle, mode, cb));
    await fsyncIfSupported(sftp, handle);
  } finally {
    // Written and fsync'd above; a failed close only leaves the handle open until the SFTP session ends, and the write's own error, if any, is the one to report.
    await call<void>((cb) => sftp.close(handle, cb)).catch(() => {});
  }
}

async function fsyncIfSupported(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  try {
    await call<unknown>((cb) => sftp.ext_openssh_fsync(handle, cb));
  } catch (error) {
    if (!isUnsupported(error)) throw error;
  }
}

/** posix-rename@openssh.com replaces the target atomically; false when the server lacks it. */
async function renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<boolean> {
  try {
    await call<void>((cb) => sftp.ext_openssh_rename(from, to, cb));
    return true;
  } catch (error) {
    if (isUnsupported(error)) return false;
    // Removing the uploaded temp file is best-effort; the rename's error, rethrown below, is the one to report.
    await call<void>((cb) => sftp.unlink(from, cb)).catch(() => {});
    throw error;
  }
}

async function moveWithShell(host: FilesHost, from: string, to: string): Promise<void> {
  const result = await host.runScript(`mv -f -- ${quoteArg(from)} ${quoteArg(to)} || { rm -f -- ${quoteArg(from)}; exit 1; }`);
  if (result.code !== 0) throw new DrbookError('step', `cannot move ${from} to ${to}: ${result.stderr.trim()}`, { host: host.hostName });
}

function isUnsupported(error: unknown): boolean {
  return /does not support|unsupported/i.test((error as Error)?.message ?? '');
}

function* chunksOf(data: Buffer): Iterable<Buffer> {
  yield data;
}

/** ssh2's callback style → a promise; the callback may also throw synchronously. */
function call<T>(start: (cb: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      start((error, value) => (error ? reject(error) : resolve(value as T)));
    } catch (error) {
      reject(error);
    }
  });
}

function sftpError(hostName: string, op: string, path: string, error: unknown): DrbookError {
  if (error instanceof DrbookError) return error;
  const code = (error as { code?: number }).code;
  const reason = code === NO_SUCH_FILE ? 'no such file or directory' : code === PERMISSION_DENIED ? 'permission denied' : (error as Error).message;
  return new DrbookError('step', `cannot ${op} ${path}: ${reason}`, { host: hostName, cause: error });
}
