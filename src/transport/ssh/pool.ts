// One transport per host for the whole run: opened (and for SSH, connected) on first
// use, hosts in parallel, cached, all closed at the end. A host whose connection fails
// is not cached, so asking again (after the engine re-probes) tries again.

import { DrbookError } from '../../core/errors.js';
import type { Host } from '../../core/inventory.js';
import { LocalTransport } from '../local.js';
import type { Transport, TransportPool } from '../../core/transport.js';
import { SshTransport, type SshTransportOptions } from './ssh-transport.js';

export interface TransportPoolOptions extends Omit<SshTransportOptions, 'target' | 'findHost'> {
  /** Builds a host's transport (tests inject fakes); default: LocalTransport or SshTransport. */
  createTransport?: (host: Host) => Transport;
}

export interface SshTransportPool extends TransportPool {
  /** Open every given host (default: all) at once; rejects with the first failure after all settled. */
  openAll(hostNames?: string[]): Promise<void>;
  /** SSH connections opened per host so far (for the benchmark and tests). */
  connectionCounts(): Record<string, number>;
}

export function createTransportPool(hosts: Host[], options: TransportPoolOptions = {}): SshTransportPool {
  const byName = new Map(hosts.map((host) => [host.name, host]));
  const opened = new Map<string, Promise<Transport>>();
  const ready = new Map<string, Transport>();
  const create =
    options.createTransport ??
    ((host: Host): Transport => (host.connection === 'local' ? new LocalTransport(host.name) : new SshTransport(host, { ...options, findHost: (name) => byName.get(name) })));

  const open = async (hostName: string): Promise<Transport> => {
    const host = byName.get(hostName) ?? (hostName === 'local' ? implicitLocal() : undefined);
    if (!host) throw new DrbookError('input', `no host named "${hostName}" in the inventory`, { host: hostName });
    const transport = create(host);
    try {
      if (transport instanceof SshTransport) await transport.connect();
      ready.set(hostName, transport);
      return transport;
    } catch (error) {
      // The connect error, rethrown below, is the one to report; closing the half-open transport is best-effort.
      await transport.close().catch(() => {});
      throw error;
    }
  };

  const pool: SshTransportPool = {
    get(hostName) {
      let pending = opened.get(hostName);
      if (!pending) {
        pending = open(hostName);
        opened.set(hostName, pending);
        pending.catch(() => {
          if (opened.get(hostName) === pending) opened.delete(hostName);
        });
      }
      return pending;
    },

    async openAll(hostNames = [...byName.keys()]) {
      const results = await Promise.allSettled(hostNames.map((name) => pool.get(name)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },

    async closeAll() {
      const all = [...opened.values()];
      opened.clear();
      await Promise.allSettled(all.map(async (pending) => (await pending).close()));
    },

    connectionCounts() {
      const counts: Record<string, number> = {};
      for (const [name, transport] of ready) if (transport instanceof SshTransport) counts[name] = transport.connectionsOpened;
      return counts;
    },
  };
  return pool;
}

function implicitLocal(): Host {
  return { name: 'local', connection: 'local', ssh: {}, vars: {}, groups: [] };
}
