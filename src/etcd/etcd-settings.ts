// The etcd settings drbook reads, under one name whatever wrote them: a command-line
// flag (kubeadm's static pod, a systemd ExecStart), an ETCD_* environment variable (an
// EnvironmentFile such as kubespray's /etc/etcd.env) or a key of etcd's YAML config file
// (RKE2's --config-file). etcd maps them onto each other mechanically: the env name is
// ETCD_ + the flag upper-cased with '-' → '_', the config key is the flag name, except
// the TLS files, which the config file nests under client-transport-security and
// peer-transport-security. Precedence (etcdmain/config.go): a config file replaces
// flags and environment entirely; otherwise a flag wins over its environment variable.

/** Every value as etcd was given it (a string; lists stay comma-separated). */
export interface EtcdSettings {
  name?: string;
  dataDir?: string;
  initialAdvertisePeerUrls?: string;
  initialCluster?: string;
  initialClusterState?: string;
  initialClusterToken?: string;
  advertiseClientUrls?: string;
  listenClientUrls?: string;
  listenPeerUrls?: string;
  trustedCaFile?: string;
  certFile?: string;
  keyFile?: string;
  clientCertAuth?: string;
  peerTrustedCaFile?: string;
  peerCertFile?: string;
  peerKeyFile?: string;
  quotaBackendBytes?: string;
  configFile?: string;
}

export type SettingKey = keyof EtcdSettings;

/** The flag name of each setting (without the leading dashes). */
export const SETTING_FLAGS: Readonly<Record<SettingKey, string>> = {
  name: 'name',
  dataDir: 'data-dir',
  initialAdvertisePeerUrls: 'initial-advertise-peer-urls',
  initialCluster: 'initial-cluster',
  initialClusterState: 'initial-cluster-state',
  initialClusterToken: 'initial-cluster-token',
  advertiseClientUrls: 'advertise-client-urls',
  listenClientUrls: 'listen-client-urls',
  listenPeerUrls: 'listen-peer-urls',
  trustedCaFile: 'trusted-ca-file',
  certFile: 'cert-file',
  keyFile: 'key-file',
  clientCertAuth: 'client-cert-auth',
  peerTrustedCaFile: 'peer-trusted-ca-file',
  peerCertFile: 'peer-cert-file',
  peerKeyFile: 'peer-key-file',
  quotaBackendBytes: 'quota-backend-bytes',
  configFile: 'config-file',
};

/** Where the YAML config file keeps a setting: a top-level key, or a key under a TLS section. */
export const CONFIG_FILE_KEYS: Readonly<Record<SettingKey, readonly string[]>> = {
  ...(Object.fromEntries(Object.entries(SETTING_FLAGS).map(([key, flag]) => [key, [flag]])) as Record<SettingKey, string[]>),
  trustedCaFile: ['client-transport-security', 'trusted-ca-file'],
  certFile: ['client-transport-security', 'cert-file'],
  keyFile: ['client-transport-security', 'key-file'],
  clientCertAuth: ['client-transport-security', 'client-cert-auth'],
  peerTrustedCaFile: ['peer-transport-security', 'trusted-ca-file'],
  peerCertFile: ['peer-transport-security', 'cert-file'],
  peerKeyFile: ['peer-transport-security', 'key-file'],
};

/** ETCD_DATA_DIR for data-dir: how etcd's flags package names the variable of a flag. */
export function envNameOfFlag(flag: string): string {
  return `ETCD_${flag.toUpperCase().replace(/-/g, '_')}`;
}

const KEYS = Object.keys(SETTING_FLAGS) as SettingKey[];

/** Settings from parsed command-line flags (a bare flag counts as absent: etcd has no bare value flags we read). */
export function settingsFromFlags(flags: Readonly<Record<string, string>>): EtcdSettings {
  const settings: EtcdSettings = {};
  for (const key of KEYS) {
    const value = flags[SETTING_FLAGS[key]];
    if (value !== undefined && value !== '') settings[key] = value;
  }
  return settings;
}

/** Settings from an environment (ETCD_NAME, ETCD_DATA_DIR, ...). */
export function settingsFromEnv(env: Readonly<Record<string, string>>): EtcdSettings {
  const settings: EtcdSettings = {};
  for (const key of KEYS) {
    const value = env[envNameOfFlag(SETTING_FLAGS[key])];
    if (value !== undefined && value !== '') settings[key] = value;
  }
  return settings;
}

/** Comma-separated URL lists (etcd's own format) as a list, blanks dropped. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** etcd's backend quota: absent or 0 means its default, a negative value disables it. */
export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 ** 3;

export interface QuotaSetting {
  /** null: no quota at all (a negative --quota-backend-bytes). */
  bytes: number | null;
  /** True when etcd's default applies (not set, or 0). */
  isDefault: boolean;
  /** Unparseable values are reported, not guessed. */
  problem?: string;
}

export function parseQuota(value: string | undefined): QuotaSetting {
  if (value === undefined || value.trim() === '') return { bytes: DEFAULT_QUOTA_BACKEND_BYTES, isDefault: true };
  const text = value.trim();
  if (!/^-?\d+$/.test(text))
    return { bytes: DEFAULT_QUOTA_BACKEND_BYTES, isDefault: true, problem: `--quota-backend-bytes ${JSON.stringify(value)} is not a whole number of bytes (etcd would refuse to start)` };
  const bytes = Number(text);
  if (bytes === 0) return { bytes: DEFAULT_QUOTA_BACKEND_BYTES, isDefault: true };
  return bytes < 0 ? { bytes: null, isDefault: false } : { bytes, isDefault: false };
}
