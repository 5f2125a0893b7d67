// Files that must survive a crash (journals, snapshots, copies that replace a file):
// data is fsync'd, and a rename is durable only once its directory entry is fsync'd too.
// Also the one SHA-256-of-a-file used to compare both ends of every copy.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/** fsync a file or a directory (for a directory: the names in it, e.g. after a rename). */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
