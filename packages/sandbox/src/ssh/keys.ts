// Key pairs for the sandbox's OpenSSH servers and their users, made by the real
// ssh-keygen so the files are exactly what an operator's own tools expect.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SandboxError } from '../errors.js';

export type KeyType = 'ed25519' | 'ecdsa' | 'rsa';

/** ssh-keygen a key pair at `file` (+ `file`.pub); a non-empty passphrase encrypts it. */
export function generateKeyPair(file: string, type: KeyType, options: { passphrase?: string; comment?: string } = {}): void {
  const bits = type === 'rsa' ? ['-b', '2048'] : [];
  try {
    execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', options.passphrase ?? '', '-C', options.comment ?? 'drbook-sandbox', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new SandboxError('step', `ssh-keygen -t ${type} -f ${file} failed: ${stderr || (error as Error).message}`, {
      cause: error,
      hint: "the sandbox needs OpenSSH's ssh-keygen (Debian: apt-get install openssh-client)",
    });
  }
}

/** "ssh-ed25519 AAAA..." from `file`.pub: key type and base64, without the comment. */
export function readPublicKey(publicKeyFile: string): string {
  return readFileSync(publicKeyFile, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/** A known_hosts line for a server: `[address]:port key`, or plain `address key` on port 22 (OpenSSH's own convention). */
export function knownHostsLine(address: string, port: number, publicKey: string): string {
  return `${port === 22 ? address : `[${address}]:${port}`} ${publicKey}`;
}
