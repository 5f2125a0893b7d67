// Hosts and how to reach them. The implicit host `local` is the operator's machine.

export interface SshSettings {
  /** Host name or IP to connect to (defaults to the host's own name, or its ~/.ssh/config alias). */
  address?: string;
  port?: number;
  user?: string;
  identityFile?: string;
  /** Name of an environment variable holding the identity file's passphrase. */
  passphraseEnv?: string;
  /** Another inventory host (or user@host:port) to jump through. */
  proxyJump?: string;
  /** Path of the known_hosts file to check host keys against (default ~/.ssh/known_hosts). */
  knownHostsFile?: string;
  /** 'strict' (default): unknown and changed keys refused; 'accept-new': unknown keys recorded; 'off': explicit opt-out. */
  hostKeyChecking?: 'strict' | 'accept-new' | 'off';
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  /** Concurrent channels per connection (OpenSSH's MaxSessions defaults to 10). */
  maxChannels?: number;
  /** Run commands through non-interactive sudo. */
  become?: boolean;
}

export interface Host {
  name: string;
  /** 'local' runs on this machine; 'ssh' connects with `ssh`. */
  connection: 'local' | 'ssh';
  ssh: SshSettings;
  /** Where drbook keeps its host lock and run markers on the host (default: see src/hostlock/paths.ts). */
  hostStateDir?: string;
  vars: Record<string, unknown>;
  groups: string[];
}

export interface Inventory {
  /** undefined for the built-in inventory that holds only `local`. */
  file?: string;
  sha256?: string;
  hosts: Record<string, Host>;
  groups: Record<string, string[]>;
}
