// The host key policy, as OpenSSH's StrictHostKeyChecking: a recorded key must match; a
// changed or revoked key is always refused (with both fingerprints and the file:line
// that records the old one); an unknown host is refused unless the operator opted in
// with 'accept-new' (recorded to the known_hosts file) or turned checking 'off'.

import type { ServerHostKeyAlgorithm } from 'ssh2';
import { DrbookError } from '../../core/errors.js';
import { appendKnownHost, fingerprintSha256, keyTypeOf, knownHostName, knownKeyTypes, loadKnownHosts, lookupHostKey, type KnownHostEntry } from './known-hosts.js';

export type HostKeyChecking = 'strict' | 'accept-new' | 'off';

export interface HostKeyCheckOptions {
  /** Inventory name, for messages. */
  hostName: string;
  address: string;
  port: number;
  /** Files to read; the first is where accept-new records a new key. */
  knownHostsFiles: string[];
  checking: HostKeyChecking;
}

export interface HostKeyCheck {
  /** Host key algorithms to offer, those already recorded for the host first (as OpenSSH orders them). */
  readonly algorithms: ServerHostKeyAlgorithm[];
  /** Resolves when the key may be used; rejects with a DrbookError saying why not. */
  verify(key: Buffer): Promise<void>;
}

// ssh2's own default list (node 20 has ed25519), the order it would offer.
const DEFAULT_HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** A key type as recorded → the signature algorithms that prove it. */
function algorithmsForKeyType(type: string): ServerHostKeyAlgorithm[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return DEFAULT_HOST_KEY_ALGORITHMS.filter((algorithm) => algorithm === type);
}

export async function prepareHostKeyCheck(options: HostKeyCheckOptions): Promise<HostKeyCheck> {
  const name = knownHostName(options.address, options.port);
  const entries = await loadKnownHosts(options.knownHostsFiles);
  const preferred = knownKeyTypes(entries, name).flatMap(algorithmsForKeyType);
  const algorithms = [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])];
  return {
    algorithms,
    verify: async (key) => {
      const verdict = lookupHostKey(entries, name, key);
      if (verdict.status === 'known') return;
      if (verdict.status === 'unknown') {
        if (options.checking === 'off') return;
        if (options.checking === 'accept-new') {
          const file = options.knownHostsFiles[0];
          if (!file) throw refuse(options, `no known_hosts file is configured to record the key of ${name} in`);
          await appendKnownHost(file, name, key);
          return;
        }
      }
      throw explain(options, name, key, verdict);
    },
  };
}

function explain(options: HostKeyCheckOptions, name: string, key: Buffer, verdict: ReturnType<typeof lookupHostKey>): DrbookError {
  const presented = `${keyTypeOf(key)} key ${fingerprintSha256(key)}`;
  const removeHint = (file: string) => `if the host was really reinstalled, check the new fingerprint out of band, then remove the old entry: ssh-keygen -R '${name}' -f ${file}`;
  switch (verdict.status) {
    case 'revoked':
      return refuse(
        options,
        `host key of ${name} is REVOKED: the server presents ${presented}, marked @revoked at ${place(verdict.entry)}`,
        'a revoked key is never accepted; the host needs a new host key',
      );
    case 'changed':
      return refuse(
        options,
        `host key of ${name} has CHANGED: the server presents ${presented}, but ${place(verdict.entry)} records ` +
          `${fingerprintSha256(verdict.entry.key)}. Someone may be intercepting the connection, or the host was reinstalled`,
        removeHint(verdict.entry.file),
      );
    case 'other-type': {
      const recorded = verdict.entries.map((e) => `${e.keyType} at ${place(e)}`).join(', ');
      return refuse(options, `host key of ${name} does not match: the server presents ${presented}, but only other key types are recorded (${recorded})`, removeHint(verdict.entries[0]!.file));
    }
    default:
      return refuse(
        options,
        `host key of ${name} is unknown: the server presents ${presented} and no entry in ${options.knownHostsFiles.join(', ') || '(no known_hosts file)'} records it`,
        `check that fingerprint out of band, then add the key (ssh-keyscan -p ${options.port} ${options.address} >> ${options.knownHostsFiles[0] ?? '~/.ssh/known_hosts'}) ` +
          `or set "hostKeyChecking: accept-new" for this host in the inventory to record it on first connection`,
      );
  }
}

function refuse(options: HostKeyCheckOptions, message: string, hint?: string): DrbookError {
  return new DrbookError('input', message, { host: options.hostName, hint });
}

function place(entry: KnownHostEntry): string {
  return `${entry.file}:${entry.line}`;
}
