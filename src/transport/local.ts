// The operator's own machine as a Transport. Commands run through `sh -c` in their
// own process group (detached), so a timeout or an interrupt kills the whole tree the
// command started, not only the shell. Secrets reach the shell in its environment
// (ShellCommand.secretEnv()), never in its command line.

import { copyFile, lstat, mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { syncPath, sha256File, terminateProcessGroup } from '@drbook/system';
import type { ExecRequest, ExecResult, FileInfo, Transport } from '../core/transport.js';

/** Grace period between SIGTERM and SIGKILL of a command's process group. */
const KILL_GRACE_MS = 2000;

export class LocalTransport implements Transport {
  readonly kind = 'local' as const;
  constructor(readonly hostName: string = 'local') {}

  async exec(request: ExecRequest): Promise<ExecResult> {
    const started = Date.now();
    const script = request.command.toShell();
    // execa (~110 modules) is imported on the first command, not when the module loads:
    // `drbook validate` reaches this file through the action catalog and runs nothing.
    const { execa } = await import('execa');
    const child = execa('/bin/sh', ['-c', script], {
      detached: true, // own process group: kill(-pid) reaches every descendant
      reject: false,
      stripFinalNewline: false,
      input: request.stdin,
      stdin: request.stdin === undefined ? 'ignore' : 'pipe',
      env: { ...inheritedEnv(), ...request.env, ...request.command.secretEnv() },
      extendEnv: false,
    });
    if (request.onOutput) {
      // A decoder per stream: a character split across two chunks is not garbled (nor a secret that holds it).
      for (const stream of ['stdout', 'stderr'] as const) {
        const decoder = new StringDecoder('utf8');
        child[stream]?.on('data', (chunk: Buffer) => {
          const text = decoder.write(chunk);
          if (text) request.onOutput!(stream, text);
        });
        child[stream]?.on('end', () => {
          const text = decoder.end();
          if (text) request.onOutput!(stream, text);
        });
      }
    }

    let timedOut = false;
    let cancelled = false;
    const killTree = () => killProcessGroup(child.pid);
    const timer = request.timeoutMs ? setTimeout(() => ((timedOut = true), killTree()), request.timeoutMs) : undefined;
    const onAbort = () => ((cancelled = true), killTree());
    if (request.signal?.aborted) onAbort();
    else request.signal?.addEventListener('abort', onAbort, { once: true });

    try {
      const result = await child;
      return {
        exitCode: result.exitCode ?? null,
        signal: result.signal ?? undefined,
        stdout: String(result.stdout ?? ''),
        stderr: String(result.stderr ?? ''),
        durationMs: Date.now() - started,
        timedOut,
        cancelled,
      };
    } finally {
      if (timer) clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  async stat(path: string): Promise<FileInfo | null> {
    try {
      const s = await lstat(path);
      const type = s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'other';
      return { type, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size: s.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  readFile(path: string): Promise<Buffer> {
    return readFile(path);
  }

  async writeFile(path: string, data: string | Buffer, options: { mode?: number } = {}): Promise<void> {
    const temp = join(dirname(path), `.${basename(path)}.drbook-${process.pid}.tmp`);
    const handle = await open(temp, 'w', options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      if (options.mode !== undefined) await handle.chmod(options.mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await syncPath(dirname(path));
  }

  readDir(path: string): Promise<string[]> {
    return readdir(path);
  }

  async putFile(localPath: string, remotePath: string, options: { mode?: number } = {}): Promise<{ sha256: string }> {
    return copyVerified(localPath, remotePath, options.mode);
  }

  async getFile(remotePath: string, localPath: string): Promise<{ sha256: string }> {
    return copyVerified(remotePath, localPath);
  }

  async close(): Promise<void> {}
}

/**
 * drbook's own environment, without the secrets it was given as DRBOOK_PARAM_<NAME>:
 * a command gets the secrets its script refers to (secretEnv()), not all of them.
 */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('DRBOOK_PARAM_')) env[name] = value;
  return env;
}

/** SIGTERM the group, then SIGKILL whatever is left of it after the grace period (not awaited: the command's own end is). */
export function killProcessGroup(pid: number | undefined): void {
  if (pid) void terminateProcessGroup(pid, { graceMs: KILL_GRACE_MS });
}

/** Copy through a temporary name, compare the hashes of both ends, then rename into place. */
async function copyVerified(from: string, to: string, mode?: number): Promise<{ sha256: string }> {
  const temp = `${to}.part`;
  await mkdir(dirname(to), { recursive: true });
  await copyFile(from, temp);
  const [source, copy] = await Promise.all([sha256File(from), sha256File(temp)]);
  if (source !== copy) {
    await rm(temp, { force: true });
    throw new Error(`copy of ${from} to ${to} is corrupt: sha256 ${source} at the source, ${copy} at the destination`);
  }
  const handle = await open(temp, 'r+');
  try {
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, to);
  await syncPath(dirname(to));
  return { sha256: source };
}
