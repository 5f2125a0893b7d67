// A byte range of a file on a host, without reading the file whole: a positioned read
// when the host is this machine, `dd | od` through the transport otherwise (dd seeks to
// the block; only the hex of the range travels). For the pages of a multi-GB snapshot.

import { open } from 'node:fs/promises';
import { sh } from '../shell/command.js';
import type { Transport } from '../core/transport.js';

const BLOCK = 512;
/** A range is a few pages; this bounds what one command prints (3 hex chars per byte). */
export const MAX_RANGE_BYTES = 8 * 1024 * 1024;

/** `length` bytes from `offset` (fewer at the end of the file). */
export async function readFileRange(transport: Pick<Transport, 'kind' | 'exec' | 'hostName'>, path: string, offset: number, length: number): Promise<Buffer> {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0 || length > MAX_RANGE_BYTES) {
    throw new Error(`cannot read ${length} bytes at ${offset} of ${path}: a range is at most ${MAX_RANGE_BYTES} bytes`);
  }
  if (transport.kind === 'local') {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
  const skip = Math.floor(offset / BLOCK);
  const count = Math.ceil((offset + length) / BLOCK) - skip;
  // `|| exit` keeps a failing dd visible: the pipeline's status is od's.
  const command = sh`{ dd if=${path} bs=${String(BLOCK)} skip=${String(skip)} count=${String(count)} 2>/dev/null || echo DD-FAILED >&2; } | od -An -v -tx1`;
  const result = await transport.exec({ command, timeoutMs: 120_000 });
  if (result.exitCode !== 0 || result.stderr.includes('DD-FAILED')) {
    throw new Error(`cannot read ${path} on ${transport.hostName}: ${result.stderr.replace('DD-FAILED', '').trim() || `dd failed (does the file exist and can it be read?)`}`);
  }
  const bytes = Buffer.from(result.stdout.replace(/\s+/g, ''), 'hex');
  const start = offset - skip * BLOCK;
  return bytes.subarray(start, start + length);
}
