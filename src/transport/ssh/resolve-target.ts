// Where and how to connect for one inventory host, with defaults in one place.
// Precedence, highest first: the inventory's explicit settings, the user's ssh_config
// for the host's alias, settings inherited from the host a jump hop serves, defaults.

import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import type { Host, SshSettings } from '../../core/inventory.js';
import type { HostKeyChecking } from './host-key-check.js';
import { expandTokens, resolveSshConfig, type SshConfigValues } from './ssh-config.js';

export const SSH_DEFAULTS = {
  port: 22,
  connectTimeoutMs: 10_000,
  keepaliveIntervalMs: 15_000,
  keepaliveCountMax: 3,
  maxChannels: 10, // OpenSSH's MaxSessions
} as const;

export interface SshTarget {
  /** Inventory name (or the jump spec as written), for messages. */
  name: string;
  address: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** false when identityFiles are only OpenSSH's default names (missing ones are skipped). */
  identityFilesExplicit: boolean;
  passphraseEnv?: string;
  /** Read in order; the first is where accept-new records keys. */
  knownHostsFiles: string[];
  hostKeyChecking: HostKeyChecking;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  maxChannels: number;
  become: boolean;
  /** Hops to go through, in order: the first is connected to directly. */
  jumps: SshTarget[];
}

export interface ResolveOptions {
  /** ssh_config file to honour; default ~/.ssh/config; null reads none. */
  sshConfigFile?: string | null;
  /** Looks up other inventory hosts (jump hosts named by inventory name). */
  findHost?: (name: string) => Host | undefined;
  env?: NodeJS.ProcessEnv;
  home?: string;
  localUser?: string;
}

const DEFAULT_IDENTITY_NAMES = ['id_rsa', 'id_ecdsa', 'id_ed25519'];
const GLOBAL_KNOWN_HOSTS = '/etc/ssh/ssh_known_hosts';

export function resolveSshTarget(host: Host, options: ResolveOptions = {}): SshTarget {
  return resolve(host, options, {}, new Set());
}

function resolve(host: Host, options: ResolveOptions, inherited: SshSettings, seen: Set<string>): SshTarget {
  if (seen.has(host.name)) {
    throw new InputError([{ path: `hosts.${host.name}.ssh.proxyJump`, message: `jump hosts form a loop: ${[...seen, host.name].join(' -> ')}` }]);
  }
  const home = options.home ?? homedir();
  const localUser = options.localUser ?? userInfo().username;
  const env = options.env ?? process.env;
  const explicit = host.ssh;
  const alias = explicit.address ?? host.name;
  const configFile = options.sshConfigFile === undefined ? join(home, '.ssh', 'config') : options.sshConfigFile;
  const config: SshConfigValues = configFile ? resolveSshConfig(configFile, alias) : { identityFiles: [] };

  const address = config.hostName ?? alias;
  const port = explicit.port ?? config.port ?? inherited.port ?? SSH_DEFAULTS.port;
  const user = explicit.user ?? config.user ?? localUser;
  const expand = (value: string) => expandTokens(value, { home, localUser, alias, host: address, port, user }, env);

  const identityFromInventory = explicit.identityFile ?? (config.identityFiles.length === 0 ? inherited.identityFile : undefined);
  const identityFiles = identityFromInventory
    ? [expand(identityFromInventory)]
    : config.identityFiles.length > 0
      ? config.identityFiles.map(expand)
      : DEFAULT_IDENTITY_NAMES.map((name) => join(home, '.ssh', name));

  const knownHostsFromInventory = explicit.knownHostsFile ?? (config.userKnownHostsFiles ? undefined : inherited.knownHostsFile);
  const knownHostsFiles = knownHostsFromInventory
    ? [expand(knownHostsFromInventory)] // an explicit file is the whole truth: no global file mixed in
    : [...(config.userKnownHostsFiles ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']).map(expand), GLOBAL_KNOWN_HOSTS];

  const target: SshTarget = {
    name: host.name,
    address,
    port,
    user,
    identityFiles,
    identityFilesExplicit: identityFromInventory !== undefined || config.identityFiles.length > 0,
    passphraseEnv: explicit.passphraseEnv ?? inherited.passphraseEnv,
    knownHostsFiles,
    hostKeyChecking: explicit.hostKeyChecking ?? mapStrictHostKeyChecking(config.strictHostKeyChecking) ?? inherited.hostKeyChecking ?? 'strict',
    connectTimeoutMs: explicit.connectTimeoutMs ?? secondsToMs(config.connectTimeoutSec) ?? inherited.connectTimeoutMs ?? SSH_DEFAULTS.connectTimeoutMs,
    keepaliveIntervalMs: explicit.keepaliveIntervalMs ?? secondsToMs(config.serverAliveIntervalSec) ?? inherited.keepaliveIntervalMs ?? SSH_DEFAULTS.keepaliveIntervalMs,
    keepaliveCountMax: config.serverAliveCountMax ?? SSH_DEFAULTS.keepaliveCountMax,
    maxChannels: explicit.maxChannels ?? SSH_DEFAULTS.maxChannels,
    become: explicit.become ?? false,
    jumps: [],
  };
  const jumpSpec = explicit.proxyJump ?? config.proxyJump;
  if (jumpSpec && jumpSpec.toLowerCase() !== 'none') {
    const nextSeen = new Set([...seen, host.name]);
    const hopInherited: SshSettings = { ...inherited, ...explicit, port: undefined, proxyJump: undefined, become: undefined };
    const hops = jumpSpec.split(',').map((spec) => spec.trim());
    for (const spec of hops) {
      const hopHost = options.findHost?.(spec) ?? hostFromJumpSpec(spec, host.name);
      const hop = resolve(hopHost, options, hopInherited, nextSeen);
      // A single named jump host may itself sit behind another; in a list, hops are taken as written.
      target.jumps.push(...(hops.length === 1 ? hop.jumps : []), { ...hop, jumps: [] });
    }
  }
  return target;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`, as ProxyJump takes it. */
export function hostFromJumpSpec(spec: string, forHost: string): Host {
  const match = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[^\]]+\]|[^:@\s]+)(?::(\d+))?$/.exec(spec);
  if (!match) {
    throw new InputError([{ path: `hosts.${forHost}.ssh.proxyJump`, message: `expected an inventory host or [user@]host[:port], got "${spec}"` }]);
  }
  const [, user, rawHost, port] = match;
  const address = rawHost!.replace(/^\[(.*)\]$/, '$1');
  return { name: spec, connection: 'ssh', ssh: { address, user, port: port ? Number(port) : undefined }, vars: {}, groups: [] };
}

// OpenSSH's "no"/"off" would also let changed keys through; drbook never does, so both
// mean "record unknown keys". Only the inventory can turn checking off.
function mapStrictHostKeyChecking(value: string | undefined): HostKeyChecking | undefined {
  if (value === undefined) return undefined;
  if (value === 'yes' || value === 'ask') return 'strict';
  if (value === 'accept-new' || value === 'no' || value === 'off') return 'accept-new';
  return undefined;
}

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * 1000;
}
