// Copies between the operator's machine and a host, verified end to end: the bytes are
// hashed on this side while they stream, the host hashes what landed with sha256sum,
// and only matching copies are renamed from `<target>.part` into place.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';
import { DrbookError } from '../../core/errors.js';
import { quoteArg, syncPath } from '@drbook/system';
import type { FilesHost, RemoteFiles } from './remote-files.js';

/** Passes bytes through unchanged, hashing them on the way. */
class HashingStream extends Transform {
  constructor(private readonly hash: Hash) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }
}

export async function uploadVerified(host: FilesHost, files: RemoteFiles, localPath: string, remotePath: string, mode?: number): Promise<{ sha256: string }> {
  // Any stat failure means there is no file we can upload; the error below names it.
  const local = await stat(localPath).catch(() => undefined);
  if (!local?.isFile()) throw new DrbookError('input', `cannot upload ${localPath}: no such file on this machine`, { host: host.hostName });
  const finalMode = mode ?? local.mode & 0o777;
  await ensureRemoteDir(host, files, posix.dirname(remotePath));
  const part = `${remotePath}.part`;
  const hash = createHash('sha256');
  await files.upload(createReadStream(localPath).pipe(new HashingStream(hash)), part, finalMode);
  const expected = hash.digest('hex');

  // One round trip: hash what landed, and only if it matches, set the mode and rename.
  const script = [
    `p=${quoteArg(part)}`,
    `actual=$(sha256sum < "$p" | cut -d' ' -f1) || exit 4`,
    `if [ "$actual" != ${expected} ]; then rm -f -- "$p"; printf '%s' "$actual"; exit 3; fi`,
    `chmod ${(finalMode & 0o7777).toString(8)} -- "$p" && mv -f -- "$p" ${quoteArg(remotePath)} || exit 5`,
    `sync -- ${quoteArg(posix.dirname(remotePath))} 2>/dev/null`,
    `printf '%s' "$actual"`,
  ].join('\n');
  const result = await host.runScript(script, { what: `verify upload to ${remotePath}` });
  const actual = result.stdout.toString().trim();
  if (result.code === 3) {
    throw new DrbookError('step', `upload of ${localPath} to ${remotePath} is corrupt: sha256 ${expected} on this machine, ${actual} on the host (the partial copy was removed)`, {
      host: host.hostName,
    });
  }
  if (result.code !== 0) {
    throw new DrbookError('step', `cannot finish upload to ${remotePath}: ${result.stderr.trim() || `exit code ${result.code}`}`, { host: host.hostName });
  }
  return { sha256: expected };
}

export async function downloadVerified(host: FilesHost, files: RemoteFiles, remotePath: string, localPath: string): Promise<{ sha256: string }> {
  await mkdir(dirname(localPath), { recursive: true });
  const part = `${localPath}.part`;
  const hash = createHash('sha256');
  const hashing = new HashingStream(hash);
  const out = createWriteStream(part);
  hashing.pipe(out);
  try {
    await files.download(remotePath, hashing);
    hashing.end();
    await finished(out);
    const received = hash.digest('hex');
    const result = await host.runScript(`sha256sum < ${quoteArg(remotePath)} | cut -d' ' -f1`, { what: `hash ${remotePath}` });
    const onHost = result.stdout.toString().trim();
    if (result.code !== 0 || !/^[0-9a-f]{64}$/.test(onHost)) {
      throw new DrbookError('step', `cannot hash ${remotePath}: ${result.stderr.trim() || 'sha256sum gave no hash'}`, { host: host.hostName });
    }
    if (onHost !== received) {
      throw new DrbookError('step', `download of ${remotePath} to ${localPath} is corrupt: sha256 ${onHost} on the host, ${received} on this machine`, { host: host.hostName });
    }
    await syncPath(part);
    await rename(part, localPath);
    await syncPath(dirname(localPath));
    return { sha256: received };
  } catch (error) {
    out.destroy();
    await rm(part, { force: true });
    throw error;
  }
}

async function ensureRemoteDir(host: FilesHost, files: RemoteFiles, dir: string): Promise<void> {
  if (dir === '' || dir === '.' || (await files.stat(dir))) return;
  const result = await host.runScript(`mkdir -p -- ${quoteArg(dir)}`, { what: `create ${dir}` });
  if (result.code !== 0) throw new DrbookError('step', `cannot create directory ${dir}: ${result.stderr.trim()}`, { host: host.hostName });
}
