// A real OpenSSH server for tests: its own host and user keys in a temp dir, listening on
// a loopback address. Config, keys and the launcher are the product's own
// (@drbook/sandbox's ssh/, as used by `drbook sandbox up --ssh`): one way to run sshd, tested
// by every transport test. stop() kills its PID and every process it forked (found by
// parent PID in /proc, never by name), then removes the temp dir.

import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm, mkdir, chmod } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from './ports.js';
import type { Host, SshSettings } from '../../src/core/inventory.js';
import { listDescendants, generateKeyPair, knownHostsLine as formatKnownHostsLine, readPublicKey, type KeyType, renderSshdConfig, SSHD_BINARY, crashSshd, launchSshd, stopSshd } from '@drbook/sandbox';
import { isProcessAlive } from '@drbook/system';

export { SSHD_BINARY, listDescendants };

export interface SshdOptions {
  /** Loopback address to listen on, e.g. 127.0.0.61: distinct tests use distinct addresses. */
  address: string;
  /** Default: a free port picked on that address. */
  port?: number;
  /** sshd's MaxSessions (sessions per connection). */
  maxSessions?: number;
  /** Prepended to PATH of every session (SetEnv), e.g. a dir holding a fake sudo. */
  binDir?: string;
  hostKeyType?: 'ed25519' | 'ecdsa' | 'rsa';
  /** More sshd_config lines. */
  extraConfig?: string[];
}

export interface TestSshd {
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  readonly user: string;
  /** "ssh-ed25519 AAAA..." (type and base64, no comment). */
  readonly hostPublicKey: string;
  readonly userKeyFile: string;
  /** A known_hosts file holding exactly this server's line. */
  readonly knownHostsFile: string;
  readonly knownHostsLine: string;
  readonly logFile: string;
  /** SSH settings that reach this server with strict host key checking. */
  settings(extra?: SshSettings): SshSettings;
  host(name: string, extra?: SshSettings): Host;
  /** Connections that authenticated, counted from sshd's own log. */
  countAcceptedConnections(): Promise<number>;
  /** Like a host crash: SIGKILL the listener and every session process it forked. */
  crash(): void;
  stop(): Promise<void>;
}

export async function startSshd(options: SshdOptions): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-sshd-'));
  let pid: number | undefined;
  try {
    const user = userInfo().username;
    const hostKeyType = options.hostKeyType ?? 'ed25519';
    const hostKey = join(dir, `ssh_host_${hostKeyType}_key`);
    const userKeyFile = join(dir, 'id_ed25519');
    generateKey(hostKey, hostKeyType);
    generateKey(userKeyFile, 'ed25519');
    await writeFile(join(dir, 'authorized_keys'), await readFile(`${userKeyFile}.pub`));
    const port = options.port ?? (await findFreePort(options.address));
    const logFile = join(dir, 'sshd.log');
    const configFile = join(dir, 'sshd_config');
    const config = renderSshdConfig({
      address: options.address,
      port,
      hostKeys: [hostKey],
      authorizedKeysFile: join(dir, 'authorized_keys'),
      pidFile: join(dir, 'sshd.pid'),
      maxSessions: options.maxSessions,
      path: options.binDir ? `${options.binDir}:/usr/local/bin:/usr/bin:/bin` : undefined,
      extraLines: options.extraConfig,
    });
    await writeFile(configFile, config);
    // The same launcher as `drbook sandbox up --ssh`, attached: it dies with the tests.
    pid = (await launchSshd({ configFile, logFile, label: `test ${options.address}:${port}` })).pid;
    const serverPid = pid;

    const hostPublicKey = readPublicKey(`${hostKey}.pub`);
    const knownHostsLine = formatKnownHostsLine(options.address, port, hostPublicKey);
    const knownHostsFile = join(dir, 'known_hosts');
    await writeFile(knownHostsFile, knownHostsLine + '\n');

    const settings = (extra: SshSettings = {}): SshSettings => ({
      address: options.address,
      port,
      user,
      identityFile: userKeyFile,
      knownHostsFile,
      hostKeyChecking: 'strict',
      ...extra,
    });
    return {
      address: options.address,
      port,
      pid: serverPid,
      dir,
      user,
      hostPublicKey,
      userKeyFile,
      knownHostsFile,
      knownHostsLine,
      logFile,
      settings,
      host: (name, extra) => ({ name, connection: 'ssh', ssh: settings(extra), vars: {}, groups: [] }),
      countAcceptedConnections: async () => countMatches(await readFile(logFile, 'utf8'), /Accepted publickey for /g),
      crash: () => crashSshd(serverPid),
      stop: async () => {
        await stopSshd(serverPid);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (pid !== undefined) await stopSshd(pid);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** ssh-keygen a key pair at `file` (+ .pub); a passphrase makes it encrypted. */
export function generateKey(file: string, type: KeyType, passphrase = ''): void {
  generateKeyPair(file, type, { passphrase, comment: 'drbook-test' });
}

/** A directory for extra keys or files, removed with the given sshd's dir. */
export async function makeSubdir(sshd: TestSshd, name: string): Promise<string> {
  const path = join(sshd.dir, name);
  await mkdir(path, { recursive: true });
  return path;
}

/** Write an executable script. */
export async function writeScript(path: string, body: string): Promise<void> {
  await writeFile(path, body);
  await chmod(path, 0o755);
}

function countMatches(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

/** Live (non-zombie) processes whose command line contains `tag` (a unique argument a test chose), by `pgrep -f`. */
export function livePidsMatching(tag: string): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-f', tag], { encoding: 'utf8' });
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  return out
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => pid !== process.pid && isProcessAlive(pid)); // a zombie (never reaped here) is dead for our purposes
}

/** SIGKILL, by PID, whatever still runs with `tag` in its command line (test cleanup). */
export function killPidsMatching(tag: string): void {
  for (const pid of livePidsMatching(tag)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
