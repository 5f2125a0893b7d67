// A real OpenSSH server for tests: its own host and user keys in a temp dir, listening on
// a loopback address, started in the foreground (-D) so the PID we hold is sshd's own.
// stop() kills that PID and every process it forked (found by parent PID in /proc, never
// by name), then removes the temp dir.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile, rm, mkdir, chmod } from 'node:fs/promises';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Host, SshSettings } from '../../src/inventory/types.js';

export const SSHD_BINARY = '/usr/sbin/sshd';

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
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const user = userInfo().username;
    const hostKeyType = options.hostKeyType ?? 'ed25519';
    const hostKey = join(dir, `ssh_host_${hostKeyType}_key`);
    const userKeyFile = join(dir, 'id_ed25519');
    generateKey(hostKey, hostKeyType);
    generateKey(userKeyFile, 'ed25519');
    await writeFile(join(dir, 'authorized_keys'), await readFile(`${userKeyFile}.pub`));
    const port = options.port ?? (await pickFreePort(options.address));
    const logFile = join(dir, 'sshd.log');
    const config = [
      `ListenAddress ${options.address}:${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'LogLevel VERBOSE',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'PrintMotd no',
      'Subsystem sftp internal-sftp',
      `MaxSessions ${options.maxSessions ?? 10}`,
      // bash sources ~/.bashrc for commands run by sshd only when SHLVL is unset; this
      // machine's root .bashrc (pyenv init) costs ~0.3 s per command, which is not ours to measure.
      `SetEnv SHLVL=1${options.binDir ? ` PATH=${options.binDir}:/usr/local/bin:/usr/bin:/bin` : ''}`,
      ...(options.extraConfig ?? []),
    ];
    const configFile = join(dir, 'sshd_config');
    await writeFile(configFile, config.join('\n') + '\n');
    ensurePrivilegeSeparationDir();

    child = spawn(SSHD_BINARY, ['-D', '-f', configFile, '-E', logFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const pid = child.pid!;
    await waitForListening(logFile, () => child!.exitCode, () => stderr);

    const hostPublicKey = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const knownHostsLine = `[${options.address}]:${port} ${hostPublicKey}`;
    const knownHostsFile = join(dir, 'known_hosts');
    await writeFile(knownHostsFile, knownHostsLine + '\n');
    const started = child;

    const settings = (extra: SshSettings = {}): SshSettings => ({
      address: options.address,
      port,
      user,
      identityFile: userKeyFile,
      knownHostsFile,
      hostKeyChecking: 'strict',
      ...extra,
    });
    const crash = () => {
      for (const descendant of listDescendants(pid)) signal(descendant, 'SIGKILL');
      signal(pid, 'SIGKILL');
    };
    return {
      address: options.address,
      port,
      pid,
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
      crash,
      stop: async () => {
        const descendants = listDescendants(pid);
        signal(pid, 'SIGTERM');
        for (const descendant of descendants) signal(descendant, 'SIGTERM');
        await waitForExit(started, 2000);
        if (started.exitCode === null && started.signalCode === null) crash();
        await waitForExit(started, 2000);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child?.pid && child.exitCode === null) signal(child.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** ssh-keygen a key pair at `file` (+ .pub); a passphrase makes it encrypted. */
export function generateKey(file: string, type: 'ed25519' | 'ecdsa' | 'rsa', passphrase = ''): void {
  const bits = type === 'rsa' ? ['-b', '2048'] : [];
  execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', passphrase, '-C', 'drbook-test', '-f', file], { stdio: 'ignore' });
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

// sshd started as root insists on its privilege separation directory.
function ensurePrivilegeSeparationDir(): void {
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
}

async function pickFreePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// Wait for sshd's own "Server listening" line rather than probing the port, so the
// connection count in the log is only what the test itself opened.
async function waitForListening(logFile: string, exitCode: () => number | null, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    if (/Server listening on /.test(log)) return;
    if (exitCode() !== null) throw new Error(`sshd exited with code ${exitCode()}:\n${log}${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not start listening within 10 s:\n${stderr()}`);
}

async function waitForExit(child: ReturnType<typeof spawn>, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('exit', () => (clearTimeout(timer), resolve()));
  });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Every live descendant of `pid`, by walking parent PIDs in /proc. */
export function listDescendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const [child, parent] of parents) {
      if (parent === current) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
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
    .filter((pid) => pid !== process.pid && !isZombieOrGone(pid));
}

// A container's init may never reap: a zombie is dead for our purposes.
function isZombieOrGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** SIGKILL, by PID, whatever still runs with `tag` in its command line (test cleanup). */
export function killPidsMatching(tag: string): void {
  for (const pid of livePidsMatching(tag)) signal(pid, 'SIGKILL');
}
