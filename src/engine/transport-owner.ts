// The engine opens the transports of a run, a plan or a rollback and closes them, on
// every path: a return, a throw, or an interrupt (SIGINT/SIGTERM only abort the run's
// signal, so the run unwinds through here). One owner, so no caller has to remember.

import type { Host } from '../core/inventory.js';
import { openTransportPool } from '../transport/pool.js';
import type { TransportPool } from '../core/transport.js';

/** How a request's transports are opened: openTransportPool unless a test injects fakes. */
export type OpenPool = (hosts: Host[]) => Promise<TransportPool>;

export async function withTransportPool<T>(request: { hosts: Host[]; openPool?: OpenPool }, work: (pool: TransportPool) => Promise<T>): Promise<T> {
  const pool = await (request.openPool ?? openTransportPool)(request.hosts);
  try {
    return await work(pool);
  } finally {
    // Best effort: a connection that cannot be closed cleanly is dropped with the process;
    // the run's own outcome (or error) is what the caller must see.
    await pool.closeAll().catch(() => undefined);
  }
}
