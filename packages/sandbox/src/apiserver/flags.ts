// kube-apiserver's own flags, as the sandbox's static-pod runner passes them from the
// kube-apiserver manifest. Unknown flags are ignored (a kubeadm manifest carries many
// this server has no use for); the ones it needs are checked here, once.

import { SandboxInputError } from '../errors.js';
import { DEFAULT_STORAGE_MEDIA_TYPE, JSON_MEDIA_TYPE, PROTOBUF_MEDIA_TYPE, type StorageMediaType } from '../cluster-state/storage-media-type.js';

export interface ApiServerConfig {
  advertiseAddress: string;
  /** Where to listen: --bind-address, else the advertise address (never 0.0.0.0 in the sandbox). */
  bindAddress: string;
  securePort: number;
  etcdServers: string[];
  etcdCaFile: string;
  etcdCertFile: string;
  etcdKeyFile: string;
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  clientCaFile: string;
  etcdPrefix: string;
  /** What this API server would write (it only reads; values are decoded by their first bytes whatever this says). */
  storageMediaType: StorageMediaType;
}

const KNOWN = [
  'advertise-address',
  'bind-address',
  'secure-port',
  'etcd-servers',
  'etcd-cafile',
  'etcd-certfile',
  'etcd-keyfile',
  'tls-cert-file',
  'tls-private-key-file',
  'client-ca-file',
  'etcd-prefix',
  'storage-media-type',
] as const;
type Known = (typeof KNOWN)[number];

/** Reads `--flag=value` and, for the flags above, `--flag value`. */
export function parseApiServerFlags(argv: string[]): ApiServerConfig {
  const values = new Map<Known, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!(KNOWN as readonly string[]).includes(name)) continue;
    let value = eq === -1 ? undefined : arg.slice(eq + 1);
    if (value === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i];
    if (value === undefined) throw new SandboxInputError(`kube-apiserver: --${name} needs a value`);
    values.set(name as Known, value);
  }
  const missing = ['advertise-address', 'etcd-servers', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile', 'tls-cert-file', 'tls-private-key-file', 'client-ca-file'].filter(
    (name) => !values.get(name as Known),
  );
  if (missing.length) throw new SandboxInputError(`kube-apiserver: missing ${missing.map((name) => `--${name}`).join(', ')}`);
  const port = Number(values.get('secure-port') ?? '6443');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SandboxInputError(`kube-apiserver: --secure-port must be a port number, not ${values.get('secure-port')}`);
  const mediaType = values.get('storage-media-type') ?? DEFAULT_STORAGE_MEDIA_TYPE;
  if (mediaType !== JSON_MEDIA_TYPE && mediaType !== PROTOBUF_MEDIA_TYPE) {
    throw new SandboxInputError(`kube-apiserver: --storage-media-type must be ${JSON_MEDIA_TYPE} or ${PROTOBUF_MEDIA_TYPE}, not ${mediaType}`);
  }
  const advertiseAddress = values.get('advertise-address')!;
  const bind = values.get('bind-address');
  return {
    advertiseAddress,
    bindAddress: bind && bind !== '0.0.0.0' && bind !== '::' ? bind : advertiseAddress,
    securePort: port,
    etcdServers: values
      .get('etcd-servers')!
      .split(',')
      .map((url) => url.trim())
      .filter(Boolean),
    etcdCaFile: values.get('etcd-cafile')!,
    etcdCertFile: values.get('etcd-certfile')!,
    etcdKeyFile: values.get('etcd-keyfile')!,
    tlsCertFile: values.get('tls-cert-file')!,
    tlsPrivateKeyFile: values.get('tls-private-key-file')!,
    clientCaFile: values.get('client-ca-file')!,
    etcdPrefix: values.get('etcd-prefix') ?? '/registry',
    storageMediaType: mediaType,
  };
}
