// OpenSSH known_hosts files: parse, match a host against each line (plain names, comma
// lists, wildcards, negation, `[host]:port`, hashed `|1|salt|hash`), and append a line.
// The policy (what to accept, what to refuse) lives in host-key-check.ts.

import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { matchPatternList } from './patterns.js';

export interface KnownHostEntry {
  file: string;
  line: number; // 1-based
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: a comma list of patterns, or one hashed entry. */
  hosts: string;
  keyType: string;
  key: Buffer;
}

/** The name a host is recorded under: `host` on port 22, `[host]:port` otherwise (as OpenSSH). */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const name = fields.shift()!;
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: OpenSSH ignores the line too
    }
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64) return; // malformed: skipped like OpenSSH does
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0) return;
    entries.push({ file, line: index + 1, marker, hosts, keyType, key });
  });
  return entries;
}

/** Read several known_hosts files; a missing file holds no entries. */
export async function loadKnownHosts(files: string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    all.push(...parseKnownHosts(text, file));
  }
  return all;
}

/** Does a known_hosts host field apply to `name` (already in `[host]:port` form when needed)? */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) return hashedHostMatches(field, name);
  return matchPatternList(field.split(','), name);
}

function hashedHostMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/** `|1|salt|hash` for a name, as `ssh-keygen -H` writes it. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${hash}`;
}

/** The key type written at the start of an SSH public key blob, e.g. "ssh-ed25519". */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** OpenSSH's fingerprint form: `SHA256:` + base64 without padding. */
export function fingerprintSha256(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

export type HostKeyLookup =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  | { status: 'changed'; entry: KnownHostEntry } //     same key type recorded, different key
  | { status: 'other-type'; entries: KnownHostEntry[] } // host known only with keys of other types
  | { status: 'unknown' };

/**
 * Compare a server's key with what the files record for `name`; revocation wins over
 * everything. @cert-authority lines never make a host known: ssh2 does not verify host
 * certificates, so such a host is "unknown" unless its key is also recorded plainly.
 */
export function lookupHostKey(entries: KnownHostEntry[], name: string, key: Buffer): HostKeyLookup {
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key) && hostFieldMatches(e.hosts, name));
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name));
  const exact = forHost.find((e) => e.key.equals(key));
  if (exact) return { status: 'known', entry: exact };
  const type = keyTypeOf(key);
  const sameType = forHost.find((e) => keyTypeOf(e.key) === type);
  if (sameType) return { status: 'changed', entry: sameType };
  if (forHost.length > 0) return { status: 'other-type', entries: forHost };
  return { status: 'unknown' };
}

/** Key types recorded for a host (so the handshake can ask the server for one of them first). */
export function knownKeyTypes(entries: KnownHostEntry[], name: string): string[] {
  const types = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => keyTypeOf(e.key));
  return [...new Set(types)];
}

// Appends from parallel connections to one file are chained so lines never interleave.
const appendQueues = new Map<string, Promise<unknown>>();

/** Record a host key (accept-new): one plain line appended, the file created 0600 if needed. */
export async function appendKnownHost(file: string, name: string, key: Buffer): Promise<void> {
  const previous = appendQueues.get(file) ?? Promise.resolve();
  const next = previous
    // The queue only orders appends to one file; the previous append's failure went to its own caller.
    .catch(() => {})
    .then(async () => {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      let existing = '';
      try {
        existing = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const separator = existing !== '' && !existing.endsWith('\n') ? '\n' : '';
      await appendFile(file, `${separator}${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
    });
  appendQueues.set(file, next);
  try {
    await next;
  } finally {
    if (appendQueues.get(file) === next) appendQueues.delete(file);
  }
}
