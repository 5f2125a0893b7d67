// `drbook sandbox snapshot`: a snapshot of a running sandbox taken with the real
// `etcdctl snapshot save` (what an operator would run), written under a .part name and
// renamed only once complete, then checked with `etcdctl snapshot status`.

import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { execa } from 'execa';
import { SandboxError } from '../errors.js';
import { sha256File, syncPath } from '@drbook/system';
import { etcdAccessOf, findSandboxNode, readSandboxNodes } from './sandbox-nodes.js';

export interface SaveSnapshotOptions {
  /** The sandbox folder (holds sandbox.json). */
  dir: string;
  /** Node to snapshot; default the first. */
  node?: string;
  file: string;
  /** Default `etcdctl` from PATH. */
  etcdctl?: string;
  timeoutMs?: number;
}

export interface SnapshotInfo {
  file: string;
  /** SHA-256 of the whole file (trailer included), to compare copies across hosts. */
  sha256: string;
  revision: number;
  /** `snapshot status` totalKey: every entry of the bbolt file (all revisions, plus etcd's own meta keys). */
  totalKeys: number;
  size: number;
}

export async function saveSandboxSnapshot(options: SaveSnapshotOptions): Promise<SnapshotInfo> {
  const nodes = await readSandboxNodes(options.dir);
  const node = findSandboxNode(nodes, options.node, options.dir);
  const access = etcdAccessOf(node);
  const file = resolve(options.file);
  const part = `${file}.part`;
  const etcdctl = options.etcdctl ?? 'etcdctl';
  const env = { ETCDCTL_API: '3' };
  const tlsFlags = [`--endpoints=${access.endpoint}`, `--cacert=${access.caFile}`, `--cert=${access.certFile}`, `--key=${access.keyFile}`];

  await mkdir(dirname(file), { recursive: true });
  await rm(part, { force: true });
  // etcdctl itself writes to <target>.part and renames; we add our own .part so the
  // final name appears only after the status check too.
  const save = await execa(etcdctl, ['snapshot', 'save', part, ...tlsFlags], { env, reject: false, timeout: options.timeoutMs ?? 120_000 });
  if (save.exitCode !== 0) {
    await rm(part, { force: true });
    await rm(`${part}.part`, { force: true });
    throw new SandboxError('step', `etcdctl snapshot save from ${access.endpoint} failed: ${lastLine(save.stderr) || save.shortMessage}`, { host: node.name });
  }
  const status = await readSnapshotStatus(part, etcdctl, node.name);
  const size = (await stat(part)).size;
  if (size % 512 !== 32) {
    await rm(part, { force: true });
    throw new SandboxError('step', `snapshot ${part} has no SHA-256 trailer (size ${size} % 512 = ${size % 512}, expected 32)`, { host: node.name });
  }
  const sha256 = await sha256File(part);
  await rename(part, file);
  await syncPath(dirname(file));
  return { file, sha256, revision: status.revision, totalKeys: status.totalKey, size };
}

export async function readSnapshotStatus(file: string, etcdctl = 'etcdctl', host?: string): Promise<{ hash: number; revision: number; totalKey: number; totalSize: number }> {
  const result = await execa(etcdctl, ['snapshot', 'status', file, '-w', 'json'], { env: { ETCDCTL_API: '3' }, reject: false, timeout: 60_000 });
  if (result.exitCode !== 0) {
    throw new SandboxError('step', `etcdctl snapshot status ${file} failed: ${lastLine(result.stderr) || result.shortMessage}`, { host });
  }
  try {
    const parsed = JSON.parse(result.stdout) as { hash: number; revision: number; totalKey: number; totalSize: number };
    if (typeof parsed.revision !== 'number' || typeof parsed.totalKey !== 'number') throw new Error('missing revision or totalKey');
    return parsed;
  } catch (error) {
    throw new SandboxError('step', `etcdctl snapshot status ${file}: unexpected output ${JSON.stringify(result.stdout.slice(0, 200))} (${(error as Error).message})`, { host });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}
