// The sandbox's etcd3 client: src/etcd/client.ts's client (TLS with client certs, no
// hidden retries, quick reconnects), opened from cert FILES on this machine. Sandbox
// processes (API server, seeding, tests) run beside the node folders, so they read the
// files directly; a missing or unreadable cert is named before any dial.

import { readFileSync } from 'node:fs';
import type { Etcd3 } from 'etcd3';
import { InputError } from '../../errors.js';
import { openEtcdClient as openWithCredentials } from '../../etcd/client.js';

export interface EtcdClientOptions {
  /** https://IP:PORT (or http:// for a plain-text test etcd). */
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** How long to wait for a connection. Default 5 s. */
  dialTimeoutMs?: number;
  /** Deadline of each unary call (not of streams such as snapshots). Default 10 s. */
  callTimeoutMs?: number;
}

export function openEtcdClient(options: EtcdClientOptions): Etcd3 {
  const { caFile, certFile, keyFile, ...rest } = options;
  const tls = options.endpoints.some((endpoint) => endpoint.startsWith('https://'));
  if (tls && !caFile) throw new InputError(`etcd client: ${options.endpoints.join(',')} uses TLS but no CA file was given`);
  return openWithCredentials({
    ...rest,
    ca: tls && caFile ? readPem(caFile, 'CA certificate') : undefined,
    cert: tls && certFile ? readPem(certFile, 'client certificate') : undefined,
    key: tls && keyFile ? readPem(keyFile, 'client key') : undefined,
  });
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new InputError(`etcd client: cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
