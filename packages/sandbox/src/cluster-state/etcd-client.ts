// The sandbox's etcd3 client, opened from cert FILES on this machine: sandbox processes
// (API server, seeding, tests) run beside the node folders, so they read the files
// directly; a missing or unreadable cert is named before any dial. Like a real API
// server it gets one honest answer per call (etcd3's retries and circuit breaker off,
// with cockatiel's no-op policy as etcd3 documents) and finds a restarted member again
// within seconds (grpc's reconnect backoff capped at 2 s instead of 2 minutes).

import { readFileSync } from 'node:fs';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { SandboxInputError } from '../errors.js';

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
  if (options.endpoints.length === 0) throw new SandboxInputError('etcd client: no endpoints given');
  if (tls && !caFile) throw new SandboxInputError(`etcd client: ${options.endpoints.join(',')} uses TLS but no CA file was given`);
  const credentials = tls
    ? {
        rootCertificate: readPem(caFile!, 'CA certificate'),
        certChain: certFile ? readPem(certFile, 'client certificate') : undefined,
        privateKey: keyFile ? readPem(keyFile, 'client key') : undefined,
      }
    : undefined;
  const callTimeoutMs = rest.callTimeoutMs ?? 10_000;
  return new Etcd3({
    hosts: rest.endpoints,
    credentials,
    dialTimeout: rest.dialTimeoutMs ?? 5_000,
    faultHandling: { host: () => noop, global: noop },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
      // Every sandbox etcd certificate names DNS:localhost, as kubeadm's do: checking the
      // server against that name (the address dialled stays the node's IP) spares Node's
      // DEP0123 warning about an IP address as TLS server name in the operator's output.
      ...(tls ? { 'grpc.ssl_target_name_override': 'localhost' } : {}),
    },
  });
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new SandboxInputError(`etcd client: cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
