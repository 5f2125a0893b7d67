// What a host IS, as opposed to what an inventory calls it. Two clusters may both have a
// `node1` (every sandbox does, and so do many real inventories); what tells their hosts
// apart is how drbook reaches them: an SSH host by its address and port (and the jump
// host in front of it, since 10.0.0.5 behind two bastions is two machines); a local host
// by the machine drbook runs on and the folder it keeps the host's state in (the nodes
// of a local sandbox are folders of one machine). The state dir's run lock and the
// journal's host records are keyed by this, never by the name; messages say both.

import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Host } from '../core/inventory.js';

export interface HostIdentity {
  /** The inventory's name for the host: what messages lead with. */
  name: string;
  /** Stable and filesystem-safe, e.g. `ssh-127.0.0.5-22` or `local-box-1f3a9c2e`. */
  key: string;
  /** For people: `127.0.0.5:22`, `10.0.0.5:22 via bastion`, `local, /srv/n1/var/lib/drbook`. */
  where: string;
}

// A readable key part is kept as it is only when it is made of these (no "..", no "/").
const SAFE = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * THE function that says which host an inventory host is. `dir` is the host's state
 * folder (hostStateDirOf): it tells local hosts apart; `machine` is this machine's name.
 */
export function hostIdentityOf(host: Host, dir: string, machine: string = hostname()): HostIdentity {
  if (host.connection === 'local') {
    // The folder's path cannot be a file name as it is: the machine stays readable, a hash stands for the folder.
    return { name: host.name, key: `${safePart(`local-${machine}`, ['local', machine])}-${hashOf(['local', machine, dir])}`, where: `local, ${dir}` };
  }
  const address = (host.ssh.address ?? host.name).toLowerCase(); // DNS names are case-insensitive
  const port = host.ssh.port ?? 22;
  const via = host.ssh.proxyJump;
  const shown = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`; // an IPv6 address
  const parts = ['ssh', address, String(port), via ?? ''];
  // Without a jump host the port is the key's last part, so the key parses back unambiguously;
  // with one, an address could end in "-22-via-…": a hash of the exact parts settles it.
  const key = via ? `${safePart(`ssh-${address}-${port}-via-${via}`, parts, true)}` : safePart(`ssh-${address}-${port}`, parts);
  return { name: host.name, key, where: via ? `${shown} via ${via}` : shown };
}

/** "node1 (127.0.0.5:22)": how messages name a host. */
export function describeHost(identity: Pick<HostIdentity, 'name' | 'where'>): string {
  return `${identity.name} (${identity.where})`;
}

/** `text` when it is a safe file name; else its safe characters and a hash of the exact parts (no two hosts collide). */
function safePart(text: string, parts: string[], hashed = false): string {
  if (!hashed && SAFE.test(text) && !text.includes('..')) return text;
  const kept = text
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/\.\.+/g, '_')
    .slice(0, 60);
  return `${kept}-${hashOf(parts)}`;
}

function hashOf(parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 8);
}
