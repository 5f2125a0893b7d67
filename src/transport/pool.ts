// One transport per host for the whole run, opened on first use. Runs that touch
// only the local machine never load ssh2 (the CLI starts faster).

import type { Host } from '../core/inventory.js';
import { LocalTransport } from './local.js';
import type { Transport, TransportPool } from '../core/transport.js';

export async function openTransportPool(hosts: Host[]): Promise<TransportPool> {
  if (hosts.some((h) => h.connection === 'ssh')) {
    const { createTransportPool } = await import('./ssh/pool.js');
    return createTransportPool(hosts);
  }
  return new LocalPool(hosts);
}

class LocalPool implements TransportPool {
  private readonly transports = new Map<string, Transport>();
  constructor(hosts: Host[]) {
    for (const host of hosts) this.transports.set(host.name, new LocalTransport(host.name));
  }
  async get(hostName: string): Promise<Transport> {
    const transport = this.transports.get(hostName);
    if (!transport) throw new Error(`internal: no transport for host ${hostName}`);
    return transport;
  }
  async closeAll(): Promise<void> {}
}
