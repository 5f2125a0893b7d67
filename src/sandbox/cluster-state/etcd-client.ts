// An etcd3 client over TLS with client-cert auth, as kubeadm's etcd requires.
// Self-contained on purpose (it may move to src/etcd/): callers pass file paths, we
// read them here so a missing or unreadable cert is named before any dial.

import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions } from 'etcd3';
import { InputError } from '../../errors.js';

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

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

// etcd3's defaults retry three times and open a circuit breaker for 5 s after three
// failures. Callers here (health checks, readyz, seeding) need a prompt, honest answer
// per call and do their own waiting, so every call goes straight through.
const passThrough = {
  execute: (fn: (context: { signal: AbortSignal }) => unknown, signal?: AbortSignal) =>
    Promise.resolve().then(() => fn({ signal: signal ?? new AbortController().signal })),
  onSuccess: () => ({ dispose() {} }),
  onFailure: () => ({ dispose() {} }),
} as unknown as Policy;

export function openEtcdClient(options: EtcdClientOptions): Etcd3 {
  if (options.endpoints.length === 0) throw new InputError('etcd client: no endpoints given');
  const tls = options.endpoints.some((endpoint) => endpoint.startsWith('https://'));
  if (tls) silenceIpServernameWarning();
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const config: IOptions = {
    hosts: options.endpoints,
    dialTimeout: options.dialTimeoutMs ?? 5_000,
    faultHandling: { host: () => passThrough, global: passThrough },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    // A restarted etcd (the whole point of a restore) must be found again within
    // seconds, not after grpc's default backoff of up to two minutes.
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    },
  };
  if (tls) {
    if (!options.caFile) throw new InputError(`etcd client: ${options.endpoints.join(',')} uses TLS but no CA file was given`);
    config.credentials = {
      rootCertificate: readPem(options.caFile, 'CA certificate'),
      certChain: options.certFile ? readPem(options.certFile, 'client certificate') : undefined,
      privateKey: options.keyFile ? readPem(options.keyFile, 'client key') : undefined,
    };
  }
  return new Etcd3(config);
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new InputError(`etcd client: cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

// grpc-js always sends the endpoint's host as the TLS server name, and kubeadm's etcd
// endpoints are IP addresses, so Node prints DEP0123 ("Setting the TLS ServerName to an
// IP address...") in the middle of an operator's output. The certificate is still
// checked against the IP (its SANs carry it); only that one notice is dropped.
let silenced = false;
function silenceIpServernameWarning(): void {
  if (silenced) return;
  silenced = true;
  const original = process.emitWarning;
  process.emitWarning = function emitWarning(warning: string | Error, ...rest: unknown[]) {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: unknown }).code : rest[1];
    if (code === 'DEP0123') return;
    return (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
}
