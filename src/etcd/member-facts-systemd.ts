// One host's etcd member when systemd runs etcd (kubespray's etcd.service + /etc/etcd.env,
// Debian's etcd-server): the settings are ExecStart's flags over the unit's environment,
// as etcd itself ranks them, or the config file when one is named (which replaces both).
// Pure: layout-discovery.ts reads the unit, its environment files and the config file.

import { posix } from 'node:path';
import type { EtcdConfigFile } from './etcd-config-file.js';
import { envNameOfFlag, parseQuota, settingsFromEnv, settingsFromFlags, type EtcdSettings } from './etcd-settings.js';
import { resolveMember, stripEmpty, tlsOf, type MemberFactsResult, type SettingsSource } from './member-facts.js';

export interface SystemdInput {
  unit: string;
  /** Unit files read (main file first, then drop-ins). */
  unitFiles: string[];
  user?: string;
  group?: string;
  /** The flags of ExecStart (after expansion) and the environment etcd gets. */
  flags: Record<string, string>;
  env: Record<string, string>;
  /** Where each variable was set (mergeServiceEnvironment's origin). */
  envOrigin: Record<string, string>;
  envFiles: string[];
  binary: string;
  /** The unit file whose ExecStart= runs etcd. */
  execStartFile?: string;
  /** The config file named by --config-file / ETCD_CONFIG_FILE, when there is one. */
  configFile?: EtcdConfigFile;
}

export function memberFactsFromSystemd(input: SystemdInput): MemberFactsResult {
  const { flags, env } = input;
  const configPath = flags['config-file'] || env.ETCD_CONFIG_FILE;
  if (configPath && !input.configFile) return { ok: false, problem: `unsupported layout: etcd is configured by systemd unit ${input.unit} with the config file ${configPath}, which was not read` };
  const fromFlags = (flag: string) => flags[flag] !== undefined && flags[flag] !== '';
  const source: SettingsSource = input.configFile
    ? { values: input.configFile.values, describe: (flag) => `${flag} in ${input.configFile!.file}` }
    : {
        values: mergeFlagsOverEnv(flags, env),
        describe: (flag) => {
          if (fromFlags(flag)) return `--${flag} in the ExecStart of ${input.execStartFile ?? input.unitFiles[0]}`;
          const name = envNameOfFlag(flag);
          return `${name} in ${input.envOrigin[name] ?? (input.envFiles.join(', ') || `the environment of ${input.unit}`)}`;
        },
      };
  const what = `systemd unit ${input.unit}`;
  const member = resolveMember(source, {}, '', what);
  if (!member.ok) return member;
  if (!member.dataDir.startsWith('/')) return { ok: false, problem: `${what}: the data dir ${member.dataDir} is relative (to the unit's working dir): drbook needs an absolute --data-dir` };
  const values = source.values;
  const quota = parseQuota(values.quotaBackendBytes);
  const kubespray = input.envFiles.includes('/etc/etcd.env');
  return {
    ok: true,
    facts: {
      layout: 'systemd',
      configuredBy: `systemd unit ${input.unit} (${input.unitFiles.join(', ')})${input.envFiles.length ? ` with ${input.envFiles.join(', ')}` : ''}${kubespray ? ' (kubespray)' : ''}${input.configFile ? ` and --config-file ${input.configFile.file}` : ''}`,
      files: [...input.unitFiles, ...input.envFiles, ...(input.configFile ? [input.configFile.file] : [])],
      name: member.name,
      peerUrls: member.peerUrls,
      clientUrls: member.clientUrls,
      dataDir: member.dataDir,
      hostDataDir: posix.normalize(member.dataDir).replace(/(.)\/+$/, '$1'),
      initialCluster: values.initialCluster,
      initialClusterState: values.initialClusterState,
      initialClusterToken: values.initialClusterToken,
      tls: tlsOf(values, (path) => path),
      client:
        env.ETCDCTL_CACERT && env.ETCDCTL_CERT && env.ETCDCTL_KEY
          ? { caFile: env.ETCDCTL_CACERT, certFile: env.ETCDCTL_CERT, keyFile: env.ETCDCTL_KEY, from: `ETCDCTL_CACERT/CERT/KEY in ${input.envOrigin.ETCDCTL_CERT ?? input.unit}` }
          : undefined,
      owner: { user: input.user ?? 'root', group: input.group, from: input.user ? `User= of ${input.unit}` : `root: no User= in ${input.unit}` },
      quota: { ...quota, from: values.quotaBackendBytes ? source.describe('quota-backend-bytes') : "etcd's default (2 GiB)" },
      unit: input.unit,
      binary: input.binary,
      origin: member.origin,
      notes: quota.problem ? [...member.notes, quota.problem] : member.notes,
    },
  };
}

/** etcd's own precedence without a config file: a flag wins over its ETCD_* variable. */
function mergeFlagsOverEnv(flags: Record<string, string>, env: Record<string, string>): EtcdSettings {
  return { ...settingsFromEnv(env), ...stripEmpty(settingsFromFlags(flags)) };
}
