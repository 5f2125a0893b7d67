// etcd3 clients over TLS with client-cert auth (kubeadm's etcd accepts nothing else).
// The clients run on the operator's machine; the cert files live on the host and are
// read through the transport into memory, handed to grpc as buffers, never written
// anywhere else and never logged. One client per endpoint when asking "is this member
// healthy?": etcd3 otherwise load-balances and retries on another member, which hides
// exactly the member we want to see.

import { createRequire } from 'node:module';
import type { Etcd3, IOptions } from 'etcd3';
import { DrbookError } from '../core/errors.js';
import type { Transport } from '../core/transport.js';

export interface EtcdClientOptions {
  endpoints: string[];
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Default 5 s. */
  dialTimeoutMs?: number;
  /** Deadline of each unary call (streams such as snapshots have none). Default 10 s. */
  callTimeoutMs?: number;
}

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

// etcd3's default policies retry three times and open a circuit breaker after three
// failures: drbook's callers want one honest answer per call and do their own waiting.
const passThrough = {
  execute: (fn: (context: { signal: AbortSignal }) => unknown, signal?: AbortSignal) => Promise.resolve().then(() => fn({ signal: signal ?? new AbortController().signal })),
  onSuccess: () => ({ dispose() {} }),
  onFailure: () => ({ dispose() {} }),
} as unknown as Policy;

// etcd3 (with grpc) takes ~0.2 s to load: loaded on the first client, not at start-up,
// so `drbook --help`, validate and plan of non-etcd steps stay fast. It is CommonJS,
// so require() keeps openEtcdClient synchronous.
const requireModule = createRequire(import.meta.url);
let etcd3: typeof import('etcd3') | undefined;

export function openEtcdClient(options: EtcdClientOptions): Etcd3 {
  if (options.endpoints.length === 0) throw new DrbookError('input', 'etcd client: no endpoints given');
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const config: IOptions = {
    hosts: options.endpoints,
    dialTimeout: options.dialTimeoutMs ?? 5_000,
    faultHandling: { host: () => passThrough, global: passThrough },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    // A member restarted by a restore must be found again within seconds, not after
    // grpc's default reconnect backoff of up to two minutes.
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 200, 'grpc.max_reconnect_backoff_ms': 2_000 },
  };
  if (options.endpoints.some((e) => e.startsWith('https://'))) {
    silenceIpServernameWarning();
    if (!options.ca) throw new DrbookError('input', `etcd client: ${options.endpoints.join(',')} uses TLS but no CA certificate was given`);
    config.credentials = { rootCertificate: options.ca, certChain: options.cert, privateKey: options.key };
  }
  etcd3 ??= requireModule('etcd3') as typeof import('etcd3');
  return new etcd3.Etcd3(config);
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

/** Open, use, always close (an open client keeps the process alive). */
export async function withEtcdClient<T>(options: EtcdClientOptions, use: (client: Etcd3) => Promise<T>): Promise<T> {
  const client = openEtcdClient(options);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

export type CredentialSource = 'given' | 'env' | 'manifest' | 'kubeadm default';

export interface EtcdCredentialPlan {
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Where each value came from, for the plan. */
  sources: { endpoints: CredentialSource; caFile?: CredentialSource; certFile?: CredentialSource; keyFile?: CredentialSource };
}

export interface CredentialArgs {
  endpoints?: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface ManifestHints {
  /** --advertise-client-urls of the host's etcd manifest. */
  advertiseClientUrls?: string;
  /** --trusted-ca-file: its folder holds kubeadm's etcd pki (ca.crt, healthcheck-client.*). */
  trustedCaFile?: string;
}

export const KUBEADM_ETCD_PKI = '/etc/kubernetes/pki/etcd';
export const KUBEADM_ENDPOINT = 'https://127.0.0.1:2379';

/**
 * Which endpoints and files to use: explicit args > ETCDCTL_* environment > the host's
 * etcd manifest (its advertised client URLs; kubeadm's pki layout beside its CA) >
 * kubeadm defaults. The client pair is healthcheck-client, or apiserver-etcd-client when
 * the host has no healthcheck pair. Only stats files; reading happens in loadEtcdCredentials.
 */
export async function resolveEtcdCredentials(transport: Pick<Transport, 'stat'>, args: CredentialArgs, hints: ManifestHints = {}, env: NodeJS.ProcessEnv = process.env): Promise<EtcdCredentialPlan> {
  const envList = (name: string) =>
    env[name]
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const pick = <T>(...options: Array<[T | undefined, CredentialSource]>): [T, CredentialSource] | undefined => {
    for (const [value, source] of options) if (value !== undefined && (!Array.isArray(value) || value.length > 0)) return [value, source];
    return undefined;
  };
  const manifestUrls = hints.advertiseClientUrls
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const [endpoints, endpointsSource] = pick<string[]>([args.endpoints, 'given'], [envList('ETCDCTL_ENDPOINTS')?.map(withScheme), 'env'], [manifestUrls, 'manifest']) ?? [
    [KUBEADM_ENDPOINT],
    'kubeadm default',
  ];

  const pkiDir = hints.trustedCaFile ? dirnameOf(hints.trustedCaFile) : KUBEADM_ETCD_PKI;
  const layoutSource: CredentialSource = hints.trustedCaFile ? 'manifest' : 'kubeadm default';
  const ca = pick<string>([args.caFile, 'given'], [env.ETCDCTL_CACERT, 'env'], [hints.trustedCaFile, 'manifest']) ?? [`${pkiDir}/ca.crt`, layoutSource];
  let cert = pick<string>([args.certFile, 'given'], [env.ETCDCTL_CERT, 'env']);
  let key = pick<string>([args.keyFile, 'given'], [env.ETCDCTL_KEY, 'env']);
  if (!cert || !key) {
    const healthcheck = `${pkiDir}/healthcheck-client`;
    const apiserver = `${dirnameOf(pkiDir)}/apiserver-etcd-client`;
    const base = (await transport.stat(`${healthcheck}.crt`)) || !(await transport.stat(`${apiserver}.crt`)) ? healthcheck : apiserver;
    cert ??= [`${base}.crt`, layoutSource];
    key ??= [`${base}.key`, layoutSource];
  }
  const tls = endpoints.some((e) => e.startsWith('https://'));
  if (!tls) return { endpoints, sources: { endpoints: endpointsSource } };
  return {
    endpoints,
    caFile: ca[0],
    certFile: cert[0],
    keyFile: key[0],
    sources: { endpoints: endpointsSource, caFile: ca[1], certFile: cert[1], keyFile: key[1] },
  };
}

/** The files of a credential plan that are missing on the host (for error findings). */
export async function findMissingCredentialFiles(transport: Pick<Transport, 'stat'>, plan: EtcdCredentialPlan): Promise<string[]> {
  const files = [plan.caFile, plan.certFile, plan.keyFile].filter((f): f is string => Boolean(f));
  const missing: string[] = [];
  for (const file of files) if (!(await transport.stat(file))) missing.push(file);
  return missing;
}

/** Read the cert files from the host into memory: ready for openEtcdClient. */
export async function loadEtcdCredentials(transport: Pick<Transport, 'readFile' | 'hostName'>, plan: EtcdCredentialPlan): Promise<EtcdClientOptions> {
  const read = async (file: string | undefined, what: string) => {
    if (!file) return undefined;
    try {
      return await transport.readFile(file);
    } catch (error) {
      throw new DrbookError('step', `cannot read the etcd ${what} ${file} on ${transport.hostName}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        host: transport.hostName,
      });
    }
  };
  return {
    endpoints: plan.endpoints,
    ca: await read(plan.caFile, 'CA certificate'),
    cert: await read(plan.certFile, 'client certificate'),
    key: await read(plan.keyFile, 'client key'),
  };
}

export function describeCredentials(plan: EtcdCredentialPlan): string {
  const files = plan.caFile ? `; CA ${plan.caFile} (${plan.sources.caFile}), client cert ${plan.certFile} (${plan.sources.certFile}), key ${plan.keyFile} (${plan.sources.keyFile})` : '; no TLS';
  return `etcd endpoints ${plan.endpoints.join(',')} (${plan.sources.endpoints})${files}`;
}

const EXPLANATIONS: Array<[RegExp, string]> = [
  [/bad certificate|certificate required|unknown ca/i, "etcd refused the client certificate (is it signed by etcd's CA, with clientAuth usage, and not expired?)"],
  [/altnames|IP address mismatch|hostname mismatch/i, "the server certificate does not cover this address (did the host's IP change?)"],
  [/self[- ]signed|unable to (verify|get local issuer)|certificate verify failed/i, 'the server certificate is not signed by the given CA'],
  [/certificate has expired|CERT_HAS_EXPIRED/i, 'a certificate has expired (kubeadm certificates last one year)'],
  [/ECONNREFUSED|connection refused/i, 'nothing listens there (etcd not running?)'],
  [/DEADLINE_EXCEEDED|timed? ?out/i, 'no answer in time'],
];

/** grpc's first line, with what it most likely means for an operator. */
export function explainEtcdError(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  const hint = EXPLANATIONS.find(([pattern]) => pattern.test(text))?.[1];
  return hint ? `${hint}: ${text}` : text;
}

/** etcdctl accepts "127.0.0.1:2379"; grpc needs a scheme. Without one, etcdctl means plain text unless certs are given: kubeadm's etcd is TLS-only. */
function withScheme(endpoint: string): string {
  return /^[a-z]+:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
}

function dirnameOf(path: string): string {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
