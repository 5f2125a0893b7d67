// Where the SSH files of a sandbox live, and writing them. Sandbox-wide (<dir>/ssh/):
// the one user key pair, authorized_keys and known_hosts. Per node, where a Debian
// master keeps them: <node>/etc/ssh/ (host key, sshd_config), <node>/run/sshd.pid,
// <node>/var/log/sshd.log.

import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { SandboxNode } from '../layout.js';
import { generateKeyPair, knownHostsLine, readPublicKey } from './keys.js';
import { renderSshdConfig } from './sshd-config.js';

export interface SandboxSshFiles {
  dir: string;
  /** The sandbox user's private key (its .pub is next to it). */
  identityFile: string;
  authorizedKeysFile: string;
  knownHostsFile: string;
}

export interface NodeSshFiles {
  hostKeyFile: string;
  configFile: string;
  pidFile: string;
  logFile: string;
}

/** How to log in to a sandbox's nodes: one user, key and known_hosts for all of them. */
export interface SandboxSshAccess {
  user: string;
  port: number;
  identityFile: string;
  knownHostsFile: string;
}

/** One node's OpenSSH server, as recorded in sandbox.json. */
export interface NodeSshdInfo {
  address: string;
  port: number;
  /** sshd's own PID, once started. */
  pid?: number;
  configFile: string;
  logFile: string;
  /** "ssh-ed25519 AAAA..." */
  hostPublicKey: string;
}

export function sshFilesOfSandbox(dir: string): SandboxSshFiles {
  const sshDir = join(dir, 'ssh');
  return { dir: sshDir, identityFile: join(sshDir, 'id_ed25519'), authorizedKeysFile: join(sshDir, 'authorized_keys'), knownHostsFile: join(sshDir, 'known_hosts') };
}

export function sshFilesOfNode(root: string): NodeSshFiles {
  return {
    hostKeyFile: join(root, 'etc', 'ssh', 'ssh_host_ed25519_key'),
    configFile: join(root, 'etc', 'ssh', 'sshd_config'),
    pidFile: join(root, 'run', 'sshd.pid'),
    logFile: join(root, 'var', 'log', 'sshd.log'),
  };
}

/**
 * PATH of the SSH sessions: the one `sandbox up` runs with, so a runbook finds the same
 * tools over SSH as locally (a real master has its own admin-made PATH). Entries
 * sshd_config cannot carry are dropped.
 */
export function sessionPath(path = process.env.PATH ?? ''): string | undefined {
  const entries = path.split(':').filter((entry) => entry.startsWith('/') && !/[\s"\\]/.test(entry));
  return entries.length > 0 ? [...new Set(entries)].join(':') : undefined;
}

/** Generates the keys and writes every SSH file of the sandbox; starts nothing. */
export async function writeSandboxSshFiles(dir: string, nodes: SandboxNode[], port: number): Promise<{ access: SandboxSshAccess; nodes: NodeSshdInfo[] }> {
  const files = sshFilesOfSandbox(dir);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  generateKeyPair(files.identityFile, 'ed25519', { comment: `drbook-sandbox-user@${dir}` });
  await writeFile(files.authorizedKeysFile, readPublicKey(`${files.identityFile}.pub`) + ' drbook-sandbox-user\n', { mode: 0o600 });
  const path = sessionPath();
  const servers: NodeSshdInfo[] = [];
  for (const node of nodes) {
    const own = sshFilesOfNode(node.root);
    await mkdir(join(node.root, 'etc', 'ssh'), { recursive: true });
    generateKeyPair(own.hostKeyFile, 'ed25519', { comment: `drbook-sandbox-host@${node.name}` });
    const config = renderSshdConfig({ address: node.ip, port, hostKeys: [own.hostKeyFile], authorizedKeysFile: files.authorizedKeysFile, pidFile: own.pidFile, path });
    await writeFile(own.configFile, config);
    servers.push({ address: node.ip, port, configFile: own.configFile, logFile: own.logFile, hostPublicKey: readPublicKey(`${own.hostKeyFile}.pub`) });
  }
  await writeFile(files.knownHostsFile, servers.map((s) => knownHostsLine(s.address, s.port, s.hostPublicKey)).join('\n') + '\n');
  return { access: { user: userInfo().username, port, identityFile: files.identityFile, knownHostsFile: files.knownHostsFile }, nodes: servers };
}
