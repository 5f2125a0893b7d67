// A fingerprint of a whole file tree: every path with its type, mode and content hash.
// Two equal fingerprints mean the tree is byte-identical (what "nothing changed" means).

import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

export async function fingerprintTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const s = await lstat(path);
      const key = relative(root, path);
      const mode = (s.mode & 0o7777).toString(8);
      if (s.isDirectory()) {
        out[key] = `dir ${mode} ${s.uid}:${s.gid}`;
        await walk(path);
      } else if (s.isSymbolicLink()) out[key] = `link ${await readlink(path)}`;
      else
        out[key] = `file ${mode} ${s.uid}:${s.gid} ${createHash('sha256')
          .update(await readFile(path))
          .digest('hex')}`;
    }
  };
  await walk(root);
  return out;
}
