// The etcd member table of a multi-master restore: for every inventory host, the member
// it restores (name, peer URL), where its clients reach it and which data dir its etcd
// really uses. Each value comes from the inventory when it gives one, else from that
// host's own etcd manifest: a host's own --name, --initial-advertise-peer-urls and
// --data-dir are authoritative for that host. Every member restores with the SAME
// --initial-cluster, built from those rows. The table is refused (error findings naming
// the hosts) when two hosts claim one name or one peer URL, or when a manifest lists a
// member that no inventory host covers (it would never be restored and the new cluster
// would wait for it forever).
// The manifests' --initial-cluster lists are history, not membership: kubeadm init writes
// only itself, each `kubeadm join --control-plane` the members of that moment plus itself,
// so they differ on every real HA cluster. For now only their union feeds the "no host
// covers it" refusal; phase 2 replaces it with the live member list and the snapshot's
// own members (their readers are being built beside this).

import type { ActionContext, Finding } from '../actions/action.js';
import { errorMessage } from '../errors.js';
import { parseInitialCluster, readEtcdManifest, type EtcdManifest } from './manifest.js';

export type MemberField = 'name' | 'peerUrl' | 'clientUrl' | 'dataDir';

/** Values the inventory gives (undefined: read the manifest). */
export type MemberOverrides = Partial<Record<MemberField, string>>;

/** What one host tells about its member, before the hosts are compared. */
export interface MemberSource {
  host: string;
  overrides: MemberOverrides;
  /** null: no manifest on the host (nor in the stash). */
  manifest: Pick<EtcdManifest, 'file' | 'values'> | null;
  /** The manifest exists but cannot be read or parsed. */
  manifestProblem?: string;
}

export type ValueOrigin = 'inventory' | 'manifest' | 'missing';

export interface MemberRow {
  host: string;
  name?: string;
  /** --initial-advertise-peer-urls may list several. */
  peerUrls: string[];
  clientUrl?: string;
  dataDir?: string;
  from: Record<MemberField, ValueOrigin>;
  manifestFile?: string;
  /** This host's manifest's --initial-cluster, as written (undefined without one). */
  manifestCluster?: string;
}

export interface MemberTable {
  rows: MemberRow[];
  /** name=peerURL,... of every host's member, in inventory order: what every member restores with. */
  initialCluster: string;
  findings: Array<{ host: string; finding: Finding }>;
}

const MANIFEST_FIELD: Record<MemberField, 'name' | 'initialAdvertisePeerUrls' | 'advertiseClientUrls' | 'dataDir'> = {
  name: 'name',
  peerUrl: 'initialAdvertisePeerUrls',
  clientUrl: 'advertiseClientUrls',
  dataDir: 'dataDir',
};

/** The inventory var each field is read from in the shipped runbooks (for messages). */
export const INVENTORY_VAR: Record<MemberField, string> = { name: 'etcdName', peerUrl: 'etcdPeerUrl', clientUrl: 'etcdEndpoint', dataDir: 'dataDir' };

/** Read one host's manifest (in place, or in the stash once static-pods.stop moved it). */
export async function readMemberSource(
  ctx: Pick<ActionContext, 'transport' | 'host'>,
  options: { manifest: string; stashDir?: string; overrides: MemberOverrides },
): Promise<MemberSource> {
  const overrides = Object.fromEntries(Object.entries(options.overrides).filter(([, v]) => v !== undefined && v !== '')) as MemberOverrides;
  try {
    const found = await readEtcdManifest(ctx.transport, options.manifest, options.stashDir);
    return { host: ctx.host.name, overrides, manifest: found ? found.manifest : null };
  } catch (error) {
    return { host: ctx.host.name, overrides, manifest: null, manifestProblem: errorMessage(error) };
  }
}

function normalizeUrl(url: string): string {
  return url.trim().toLowerCase().replace(/\/+$/, '');
}

function splitUrls(value: string | undefined): string[] {
  return (value ?? '').split(',').map((u) => u.trim()).filter(Boolean);
}

function rowOf(source: MemberSource, findings: MemberTable['findings'], required: readonly MemberField[]): MemberRow {
  const { host, overrides, manifest } = source;
  const error = (message: string) => findings.push({ host, finding: { level: 'error', message } });
  const from = {} as Record<MemberField, ValueOrigin>;
  const value = (field: MemberField): string | undefined => {
    const given = overrides[field];
    const inManifest = manifest?.values[MANIFEST_FIELD[field]];
    from[field] = given ? 'inventory' : inManifest ? 'manifest' : 'missing';
    return given ?? inManifest;
  };
  const row: MemberRow = {
    host,
    name: value('name'),
    peerUrls: splitUrls(value('peerUrl')),
    clientUrl: splitUrls(value('clientUrl'))[0],
    dataDir: value('dataDir'),
    from,
    manifestFile: manifest?.file,
    manifestCluster: manifest?.values.initialCluster,
  };

  const noManifest = source.manifestProblem ?? 'no etcd manifest on the host';
  for (const field of required) {
    if (from[field] === 'missing') {
      error(`${host}: no etcd member ${field}: the inventory gives no ${INVENTORY_VAR[field]} and ${manifest ? `${manifest.file} has no --${flagName(field)}` : noManifest}`);
    }
  }
  if (!manifest) return row;
  // The etcd that starts after the swap is the manifest's: a value that differs from it
  // restores a member (or a data dir) that this etcd would not be.
  const differs = (field: MemberField) => {
    const given = overrides[field];
    const inManifest = manifest.values[MANIFEST_FIELD[field]];
    if (!given || !inManifest) return undefined;
    const same = field === 'dataDir' ? given.replace(/\/+$/, '') === inManifest.replace(/\/+$/, '') : field === 'name' ? given === inManifest : normalizeUrl(given) === normalizeUrl(inManifest);
    return same ? undefined : { given, inManifest };
  };
  const dataDir = differs('dataDir');
  if (dataDir) error(`${host}: the inventory gives dataDir ${dataDir.given} but ${manifest.file} runs etcd with --data-dir ${dataDir.inManifest}: the restored data would not be used`);
  const peer = differs('peerUrl');
  if (peer) error(`${host}: the inventory gives the peer URL ${peer.given} but ${manifest.file} advertises ${peer.inManifest}: the members would not find each other`);
  const name = differs('name');
  if (name) findings.push({ host, finding: { level: 'warn', message: `${host}: the inventory names the member ${name.given} but ${manifest.file} starts etcd as --name ${name.inManifest}` } });
  return row;
}

function flagName(field: MemberField): string {
  return { name: 'name', peerUrl: 'initial-advertise-peer-urls', clientUrl: 'advertise-client-urls', dataDir: 'data-dir' }[field];
}

export interface MemberTableOptions {
  /** Values every host must have (default name, peer URL and data dir; a restore alone needs no data dir). */
  required?: readonly MemberField[];
}

/** Build and check the table. Pure: the sources are read beforehand (readMemberSource). */
export function buildMemberTable(sources: MemberSource[], options: MemberTableOptions = {}): MemberTable {
  const findings: MemberTable['findings'] = [];
  const required = options.required ?? (['name', 'peerUrl', 'dataDir'] as const);
  const rows = sources.map((source) => rowOf(source, findings, required));
  const error = (hosts: string[], message: string) => {
    for (const host of new Set(hosts)) findings.push({ host, finding: { level: 'error', message } });
  };

  // One name and one peer URL per member.
  const byName = groupBy(rows.filter((r) => r.name), (r) => r.name!);
  for (const [name, owners] of byName) {
    if (owners.length > 1) error(owners.map((r) => r.host), `etcd member name ${name} is claimed by ${hostList(owners)}: every host must restore its own member`);
  }
  const byPeer = groupBy(rows.flatMap((r) => r.peerUrls.map((url) => ({ url: normalizeUrl(url), row: r }))), (e) => e.url);
  for (const [url, owners] of byPeer) {
    const hosts = [...new Set(owners.map((o) => o.row.host))];
    if (hosts.length > 1) error(hosts, `peer URL ${url} is claimed by ${hosts.join(', ')}: two members cannot share a peer URL`);
  }

  // Every member some manifest lists (their union: the lists are history and differ by
  // host) must be restored by some host. A listed member whose name a host restores with
  // another peer URL is history too (a master re-joined at a new address): only said.
  const withCluster = rows.filter((r) => r.manifestCluster);
  const listed = new Map<string, { name: string; peerUrl: string; listedBy: string[] }>();
  for (const row of withCluster) {
    for (const member of parseInitialCluster(row.manifestCluster!)) {
      const key = `${member.name}=${normalizeUrl(member.peerUrl)}`;
      const entry = listed.get(key) ?? { name: member.name, peerUrl: member.peerUrl, listedBy: [] };
      if (!entry.listedBy.includes(row.host)) entry.listedBy.push(row.host);
      listed.set(key, entry);
    }
  }
  for (const member of listed.values()) {
    const sameName = rows.find((r) => r.name === member.name);
    const sameUrl = rows.find((r) => r.peerUrls.some((u) => normalizeUrl(u) === normalizeUrl(member.peerUrl)));
    if (!sameName && !sameUrl) {
      error(member.listedBy, `member ${member.name} (${member.peerUrl}) is listed in the etcd manifests' --initial-cluster (${member.listedBy.join(', ')}) but no host in the inventory covers it: add that master to the inventory (every member must be restored), or remove it from the manifests`);
    } else if (sameName && !sameName.peerUrls.some((u) => normalizeUrl(u) === normalizeUrl(member.peerUrl))) {
      findings.push({
        host: sameName.host,
        finding: { level: 'warn', message: `${sameName.host}: the etcd manifests' --initial-cluster (${member.listedBy.join(', ')}) once listed ${member.name}=${member.peerUrl}; the host's own manifest restores ${member.name} with peer URL ${sameName.peerUrls.join(',') || '(none)'}, which is what counts` },
      });
    }
  }
  for (const row of rows) {
    if (!row.name || withCluster.length === 0) continue;
    if (![...listed.values()].some((m) => m.name === row.name)) {
      findings.push({ host: row.host, finding: { level: 'warn', message: `${row.host}: member ${row.name} is not in any manifest's --initial-cluster: it is restored as an added member` } });
    }
  }

  const initialCluster = rows
    .filter((r) => r.name && r.peerUrls.length)
    .flatMap((r) => r.peerUrls.map((url) => `${r.name}=${url}`))
    .join(',');
  return { rows, initialCluster, findings };
}

/** Whether the table is sound: no error finding. */
export function isConsistent(table: MemberTable): boolean {
  return !table.findings.some((f) => f.finding.level === 'error');
}

/** The table as aligned text lines, for the plan. */
export function formatMemberTable(table: MemberTable): string[] {
  const origin = (o: ValueOrigin) => (o === 'inventory' ? ' (inventory)' : '');
  const cells = table.rows.map((r) => [
    r.host,
    (r.name ?? '?') + origin(r.from.name),
    (r.peerUrls.join(',') || '?') + origin(r.from.peerUrl),
    (r.clientUrl ?? '?') + origin(r.from.clientUrl),
    (r.dataDir ?? '?') + origin(r.from.dataDir),
  ]);
  const header = ['HOST', 'MEMBER', 'PEER URL', 'CLIENT URL', 'DATA DIR'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...cells.map(line)];
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

function hostList(rows: MemberRow[]): string {
  return rows.map((r) => r.host).join(', ');
}
