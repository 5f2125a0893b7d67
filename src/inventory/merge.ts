// From a validated inventory document to Hosts. Settings and vars are merged
// defaults < groups (in the order the groups are written) < host, key by key (a host
// var replaces a group var of the same name whole; nested mappings are not merged,
// which keeps "where does this value come from" answerable at a glance).

import type { InputIssue } from '../core/errors.js';
import { toMs } from '../input/duration.js';
import { hintFor } from '../input/suggest.js';
import { issueAt, type YamlSource } from '../input/yaml-source.js';
import type { Host, Inventory, SshSettings } from '../core/inventory.js';
import type { InventoryDocument, SshDocument } from './schema.js';

/** The operator's own machine: always there, even without an inventory. */
export const LOCAL_HOST = 'local';
/** Implicit group of every host written in the inventory, except `local`. */
export const ALL_GROUP = 'all';

export function localHost(vars: Record<string, unknown> = {}): Host {
  return { name: LOCAL_HOST, connection: 'local', ssh: {}, vars: { ...vars }, groups: [] };
}

function toSshSettings(doc: SshDocument): SshSettings {
  const out: SshSettings = {};
  const copy = <K extends keyof SshSettings & keyof SshDocument>(key: K): void => {
    if (doc[key] !== undefined) (out as Record<string, unknown>)[key] = doc[key];
  };
  for (const key of ['address', 'port', 'user', 'identityFile', 'passphraseEnv', 'proxyJump', 'knownHostsFile', 'hostKeyChecking', 'maxChannels', 'become'] as const) copy(key);
  if (doc.connectTimeout !== undefined) out.connectTimeoutMs = toMs(doc.connectTimeout);
  if (doc.keepaliveInterval !== undefined) out.keepaliveIntervalMs = toMs(doc.keepaliveInterval);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Cross-entry rules: groups name known hosts, names do not clash, `local` stays local.
 * Works on the raw data, so these show up together with the schema's own issues.
 */
export function checkInventoryRefs(data: unknown, source: YamlSource): InputIssue[] {
  if (!isObject(data)) return [];
  const issues: InputIssue[] = [];
  const hosts = isObject(data.hosts) ? data.hosts : {};
  const hostNames = Object.keys(hosts);
  for (const [group, spec] of Object.entries(isObject(data.groups) ? data.groups : {})) {
    if (group === LOCAL_HOST || group === ALL_GROUP)
      issues.push(issueAt(source, ['groups', group], `\`${group}\` is reserved (the implicit ${group === ALL_GROUP ? 'group of every host' : 'host of this machine'}); choose another group name`));
    else if (Object.hasOwn(hosts, group)) issues.push(issueAt(source, ['groups', group], `\`${group}\` is both a group and a host; a target name must say one thing`));
    const members = isObject(spec) && Array.isArray(spec.hosts) ? spec.hosts : [];
    members.forEach((name, i) => {
      if (typeof name === 'string' && !Object.hasOwn(hosts, name) && name !== LOCAL_HOST) {
        issues.push(issueAt(source, ['groups', group, 'hosts', i], `group \`${group}\` lists \`${name}\`, which is not under \`hosts:\`${hintFor(name, hostNames)}`));
      }
    });
  }
  const local = hosts[LOCAL_HOST];
  if (isObject(local) && local.connection === 'ssh') issues.push(issueAt(source, ['hosts', LOCAL_HOST, 'connection'], '`local` is this machine: its connection is always local'));
  return issues;
}

export function buildInventory(doc: InventoryDocument, file: string, sha256: string): Inventory {
  const groupEntries = Object.entries(doc.groups ?? {}).map(([name, spec]) => [name, spec ?? {}] as const);
  const defaults = doc.defaults ?? {};
  const hosts: Record<string, Host> = {};
  // `local` is always there; written under hosts: or listed in a group, it takes vars like any host.
  const entries = Object.entries(doc.hosts);
  if (!Object.hasOwn(doc.hosts, LOCAL_HOST)) entries.push([LOCAL_HOST, null]);
  for (const [name, entry] of entries) {
    const spec = entry ?? {};
    const memberOf = groupEntries.filter(([, g]) => (g.hosts ?? []).includes(name));
    const { vars: hostVars, connection, hostStateDir: ownStateDir, ...hostSsh } = spec;
    // defaults.ssh is about remote hosts (e.g. become: true); the implicit `local` does not take it.
    const implicit = entry === null && name === LOCAL_HOST && !Object.hasOwn(doc.hosts, LOCAL_HOST);
    const ssh: SshSettings = Object.assign({}, implicit ? {} : toSshSettings(defaults.ssh ?? {}), ...memberOf.map(([, g]) => toSshSettings(g.ssh ?? {})), toSshSettings(hostSsh));
    const vars = Object.assign({}, defaults.vars ?? {}, ...memberOf.map(([, g]) => g.vars ?? {}), hostVars ?? {});
    const isLocal = name === LOCAL_HOST || connection === 'local';
    const hostStateDir = ownStateDir ?? [...memberOf].reverse().find(([, g]) => g.hostStateDir)?.[1].hostStateDir ?? (implicit ? undefined : defaults.hostStateDir);
    hosts[name] = { name, connection: isLocal ? 'local' : 'ssh', ssh, vars, groups: memberOf.map(([g]) => g), ...(hostStateDir ? { hostStateDir } : {}) };
  }

  const groups: Record<string, string[]> = { [ALL_GROUP]: Object.keys(doc.hosts).filter((name) => name !== LOCAL_HOST) };
  for (const [name, spec] of groupEntries) groups[name] = [...new Set(spec.hosts ?? [])];
  return { file, sha256, hosts, groups };
}
