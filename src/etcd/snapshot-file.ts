// Integrity of a snapshot file, checked by drbook itself before anything changes.
// A snapshot saved from a live member is the bbolt db followed by the SHA-256 of the db
// bytes (size % 512 == 32); a raw copy of member/snap/db has no hash (size % 512 == 0);
// any other size means the file was cut short or padded: truncated or corrupt.
// Hashing is done where the file lives: with node's crypto when the host is this
// machine, with coreutils (head | sha256sum, tail | od) through the transport otherwise,
// so a multi-GB snapshot never crosses the network just to be checked.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { sh } from '../shell/command.js';
import { BOLT_HEAD_BYTES, readBoltMeta } from './bbolt.js';
import type { Transport } from '../core/transport.js';

export const TRAILER_BYTES = 32;

export type SnapshotFileStatus =
  | 'ok' //            trailer present and matching
  | 'unchecked' //     trailer present, hash not computed (hash: false)
  | 'raw' //           no trailer: a copy of member/snap/db
  | 'hash-mismatch' // trailer present, the data does not hash to it
  | 'truncated' //     size fits neither layout, or smaller than the db it describes
  | 'not-a-db' //      no valid bbolt meta page at its start
  | 'missing'
  | 'not-a-file'
  | 'unreadable';

export interface SnapshotFileCheck {
  path: string;
  status: SnapshotFileStatus;
  size: number;
  /** SHA-256 of the whole file (what hosts compare with each other). */
  fileSha256?: string;
  /** The trailer (hex) and the SHA-256 of the bytes before it. */
  trailerSha256?: string;
  dataSha256?: string;
  /** One line for the operator; names the file and what is wrong or right. */
  message: string;
}

export interface CheckSnapshotOptions {
  /** false: only existence and size class (no reading the data). Default true. */
  hash?: boolean;
}

export async function checkSnapshotFile(transport: Transport, path: string, options: CheckSnapshotOptions = {}): Promise<SnapshotFileCheck> {
  const on = `on ${transport.hostName}`;
  let info;
  try {
    info = await transport.stat(path);
  } catch (error) {
    return { path, status: 'unreadable', size: 0, message: `snapshot ${path} cannot be inspected ${on}: ${describe(error)}` };
  }
  if (!info) return { path, status: 'missing', size: 0, message: `snapshot ${path} does not exist ${on}` };
  if (info.type !== 'file') return { path, status: 'not-a-file', size: 0, message: `snapshot ${path} ${on} is a ${info.type}, not a file` };
  const size = info.size;
  const layout = classifySnapshotSize(size);
  if (size === 0) return { path, status: 'truncated', size, message: `snapshot ${path} ${on} is empty (0 bytes)` };
  if (layout === 'truncated') {
    return {
      path,
      status: 'truncated',
      size,
      message: `snapshot ${path} is truncated or corrupt: its size (${size} bytes) is neither a multiple of 512 (a raw db) nor 512·n + 32 (a db followed by its SHA-256)`,
    };
  }
  // The db's own meta page says how many pages it spans: a cut at a page boundary,
  // which the size rule cannot see, is caught here (32 KiB read, whatever the file's size).
  let head: Buffer;
  try {
    head = await readHead(transport, path, Math.min(size, BOLT_HEAD_BYTES));
  } catch (error) {
    return { path, status: 'unreadable', size, message: `snapshot ${path} cannot be read ${on}: ${describe(error)}` };
  }
  const meta = readBoltMeta(head);
  if (!meta) return { path, status: 'not-a-db', size, message: `snapshot ${path} is not an etcd database: no valid bbolt meta page at its start` };
  const dataSize = layout === 'hashed' ? size - TRAILER_BYTES : size;
  const needed = meta.pages * BigInt(meta.pageSize);
  if (needed > BigInt(dataSize)) {
    return {
      path,
      status: 'truncated',
      size,
      message: `snapshot ${path} is truncated: its database spans ${meta.pages} pages of ${meta.pageSize} bytes (${needed} bytes) but the file holds only ${dataSize}`,
    };
  }
  if (options.hash === false) {
    return layout === 'raw'
      ? { path, status: 'raw', size, message: rawMessage(path, size) }
      : { path, status: 'unchecked', size, message: `snapshot ${path}: ${size} bytes, with a SHA-256 trailer (not checked here)` };
  }
  let hashes: RangeHashes;
  try {
    hashes = transport.kind === 'local' ? await hashLocally(path, size) : await hashThroughCommands(transport, path, size);
  } catch (error) {
    return { path, status: 'unreadable', size, message: `snapshot ${path} cannot be read ${on}: ${describe(error)}` };
  }
  if (layout === 'raw') return { path, status: 'raw', size, fileSha256: hashes.file, message: rawMessage(path, size) };
  const base = { path, size, fileSha256: hashes.file, trailerSha256: hashes.trailer, dataSha256: hashes.data };
  if (hashes.trailer !== hashes.data) {
    return {
      ...base,
      status: 'hash-mismatch',
      message: `snapshot ${path} is corrupt: its SHA-256 trailer says ${hashes.trailer} but its ${size - TRAILER_BYTES} data bytes hash to ${hashes.data}`,
    };
  }
  return { ...base, status: 'ok', message: `snapshot ${path}: ${size} bytes, SHA-256 trailer matches (file sha256 ${hashes.file})` };
}

export function classifySnapshotSize(size: number): 'hashed' | 'raw' | 'truncated' {
  if (size > TRAILER_BYTES && size % 512 === TRAILER_BYTES) return 'hashed';
  if (size > 0 && size % 512 === 0) return 'raw';
  return 'truncated';
}

function rawMessage(path: string, size: number): string {
  return `snapshot ${path} (${size} bytes) is a raw db copy without integrity hash (needs skipHashCheck)`;
}

interface RangeHashes {
  file: string;
  /** Only meaningful for a hashed layout. */
  data: string;
  trailer: string;
}

/** One pass over the file: the hash of the data part and of the whole file at once. */
async function hashLocally(path: string, size: number): Promise<RangeHashes> {
  const dataEnd = size - TRAILER_BYTES;
  const file = createHash('sha256');
  const data = createHash('sha256');
  const tail: Buffer[] = [];
  let offset = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    file.update(chunk);
    const inData = Math.max(0, Math.min(chunk.length, dataEnd - offset));
    if (inData > 0) data.update(chunk.subarray(0, inData));
    if (inData < chunk.length) tail.push(chunk.subarray(inData));
    offset += chunk.length;
  }
  if (offset !== size) throw new Error(`the file changed while it was read (${offset} bytes read, ${size} expected)`);
  return { file: file.digest('hex'), data: data.digest('hex'), trailer: Buffer.concat(tail).toString('hex') };
}

/** The same three values from coreutils on the host, so only hex digests travel. */
async function hashThroughCommands(transport: Transport, path: string, size: number): Promise<RangeHashes> {
  const dataBytes = String(Math.max(0, size - TRAILER_BYTES));
  const command = sh`head -c ${dataBytes} -- ${path} | sha256sum && sha256sum < ${path} && tail -c ${String(TRAILER_BYTES)} -- ${path} | od -An -v -tx1`;
  const result = await transport.exec({ command, timeoutMs: 30 * 60_000 });
  if (result.exitCode !== 0) throw new Error((result.stderr || result.stdout).trim() || `exit ${result.exitCode}`);
  const lines = result.stdout.split('\n');
  const digest = (line: string | undefined) => {
    const hex = line?.trim().split(/\s+/)[0] ?? '';
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`unexpected sha256sum output: ${JSON.stringify(line)}`);
    return hex;
  };
  const trailer = lines.slice(2).join('').replace(/\s+/g, '');
  if (!/^[0-9a-f]{64}$/.test(trailer)) throw new Error(`unexpected od output: ${JSON.stringify(lines.slice(2).join('\n'))}`);
  return { data: digest(lines[0]), file: digest(lines[1]), trailer };
}

/** The first `bytes` of a file: a positioned read here, `head | od` on a remote host. */
async function readHead(transport: Transport, path: string, bytes: number): Promise<Buffer> {
  if (transport.kind === 'local') {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
  const result = await transport.exec({ command: sh`head -c ${String(bytes)} -- ${path} | od -An -v -tx1`, timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error((result.stderr || result.stdout).trim() || `exit ${result.exitCode}`);
  return Buffer.from(result.stdout.replace(/\s+/g, ''), 'hex');
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code ? `${code}${error instanceof Error ? ` (${error.message})` : ''}` : error instanceof Error ? error.message : String(error);
}
