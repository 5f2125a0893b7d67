// Which processes hold a TCP socket bound to a given address and port? After a sandbox
// sshd was killed -9, its per-connection processes are orphans (reparented to init)
// and no longer found under its PID; what still ties them to the sandbox is the socket
// they serve, whose local end is the node's own address and SSH port. Read from /proc
// (the kernel's own tables), never from process names.

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { selfAndAncestors } from '../processes.js';
import { isProcessAlive } from '@drbook/system';

/** /proc/net/tcp writes an IPv4 address as the 32-bit value in host (little-endian) order. */
function procHexOf(address: string, port: number): string {
  const bytes = address.split('.').map(Number);
  if (bytes.length !== 4 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) throw new Error(`internal: not an IPv4 address: ${address}`);
  const hex = bytes
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  return `${hex}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
}

/** Inodes of the sockets whose local end is address:port (listening or connected). */
function socketInodesOf(address: string, port: number): Set<string> {
  const wanted = procHexOf(address, port);
  const inodes = new Set<string>();
  let table = '';
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return inodes;
  }
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1]?.toUpperCase() === wanted && fields[9] && fields[9] !== '0') inodes.add(fields[9]);
  }
  return inodes;
}

/** Live PIDs (other than this process and its ancestors) with an open socket bound to address:port. */
export function findSocketHolders(address: string, port: number): number[] {
  const inodes = socketInodesOf(address, port);
  if (inodes.size === 0) return [];
  const links = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  const spared = selfAndAncestors();
  const holders: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || spared.has(Number(entry))) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (links.has(target)) {
        if (isProcessAlive(Number(entry))) holders.push(Number(entry));
        break;
      }
    }
  }
  return holders;
}
