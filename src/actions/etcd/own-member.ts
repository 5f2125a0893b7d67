// One host's own etcd member, as the restore runbooks use it: the facts the host's own
// configuration gives (discoverEtcdMember, asked once per run as the etcd.member fact of
// facts.ts: a kubeadm/minikube static pod, RKE2's pod with its --config-file, a systemd
// unit with its environment file), with the inventory's
// values laid over them. A host's own facts are authoritative for that host; an
// inventory value that contradicts them is refused (a peer URL, a data dir) or named (a
// name), because the etcd that starts after the swap is the one its configuration starts.
// Read-only; the judging (checkOverrides) is pure.

import { posix } from 'node:path';
import type { ActionContext, Finding } from '../../core/action.js';
import { discoverEtcdMember } from '../../etcd/layout-discovery.js';
import { askEtcdMember } from './facts.js';
import type { EtcdMemberFacts } from '../../etcd/member-facts.js';
import type { HostMember } from '../../etcd/membership-facts.js';

export type MemberField = 'name' | 'peerUrl' | 'clientUrl' | 'dataDir';

/** Values the inventory gives (undefined or '': not given). */
export type MemberOverrides = Partial<Record<MemberField, string>>;

/** The inventory var each field is read from in the shipped runbooks (for messages). */
export const INVENTORY_VAR: Record<MemberField, string> = { name: 'etcdName', peerUrl: 'etcdPeerUrl', clientUrl: 'etcdEndpoint', dataDir: 'dataDir' };

export interface OwnMember {
  host: string;
  /** What the host's own configuration says (undefined: discovery refused, see problem). */
  facts?: EtcdMemberFacts;
  problem?: string;
  /** The member as combineMembership takes it: the facts with the inventory's name/peer/client values laid over. */
  member: HostMember;
  overrides: MemberOverrides;
  /** Override problems (errors) and notes (warn/info) about this host. */
  findings: Finding[];
}

const norm = (url: string) => url.trim().toLowerCase().replace(/\/+$/, '');
const trimDir = (dir: string) => posix.normalize(dir).replace(/(.)\/+$/, '$1');
const split = (value: string) =>
  value
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);

/** Read one host's member: discovery (in place, or in the stash once static-pods.stop moved it), then the overrides judged. */
export async function readOwnMember(
  ctx: Pick<ActionContext, 'transport' | 'probe' | 'host'> & Partial<Pick<ActionContext, 'facts'>>,
  options: { manifest: string; stashDir?: string; overrides: MemberOverrides },
): Promise<OwnMember> {
  const overrides = Object.fromEntries(Object.entries(options.overrides).filter(([, v]) => v !== undefined && v !== '')) as MemberOverrides;
  const found = ctx.facts
    ? await askEtcdMember({ facts: ctx.facts }, options.manifest, options.stashDir)
    : await discoverEtcdMember(ctx, { kubeadmManifest: options.manifest, stashDir: options.stashDir });
  return judgeOwnMember(ctx.host.name, found.ok ? found.facts : undefined, found.ok ? undefined : found.problem, overrides);
}

/** Pure: lay the overrides over the facts and judge them. */
export function judgeOwnMember(host: string, facts: EtcdMemberFacts | undefined, problem: string | undefined, overrides: MemberOverrides): OwnMember {
  const findings: Finding[] = [];
  if (!facts) {
    // Without facts of its own a host can still be described wholly by the inventory (no dataDir check then).
    if (overrides.name && overrides.peerUrl) {
      findings.push({ level: 'warn', message: `${host}: ${problem ?? 'no etcd configuration found'}; the member comes from the inventory alone (${INVENTORY_VAR.name}, ${INVENTORY_VAR.peerUrl})` });
      const own = {
        name: overrides.name,
        peerUrls: split(overrides.peerUrl),
        clientUrls: split(overrides.clientUrl ?? ''),
        dataDir: overrides.dataDir ?? '',
        hostDataDir: overrides.dataDir ?? '',
        layout: 'static-pod' as const,
      };
      return { host, problem, member: { host, own }, overrides, findings };
    }
    return { host, problem, member: { host, problem }, overrides, findings };
  }
  const where = facts.configuredBy;
  if (overrides.peerUrl && !split(overrides.peerUrl).every((u) => facts.peerUrls.some((p) => norm(p) === norm(u)))) {
    findings.push({
      level: 'error',
      message: `${host}: the inventory gives the peer URL ${overrides.peerUrl} but ${where} advertises ${facts.peerUrls.join(',')}: the members would not find each other`,
    });
  }
  if (overrides.name && overrides.name !== facts.name) {
    findings.push({ level: 'warn', message: `${host}: the inventory names the member ${overrides.name} but ${where} starts etcd as --name ${facts.name}` });
  }
  const own: HostMember['own'] = {
    name: overrides.name ?? facts.name,
    peerUrls: overrides.peerUrl ? split(overrides.peerUrl) : facts.peerUrls,
    clientUrls: overrides.clientUrl ? split(overrides.clientUrl) : facts.clientUrls,
    dataDir: facts.dataDir,
    hostDataDir: facts.hostDataDir,
    layout: facts.layout,
    initialCluster: facts.initialCluster,
  };
  for (const note of facts.notes) findings.push({ level: 'info', message: `${host}: ${note}` });
  return { host, facts, member: { host, own }, overrides, findings };
}

/**
 * The runbook's dataDir must be the dir etcd runs with (the host dir behind its
 * --data-dir): swapping another one would leave etcd serving its old data after a
 * "successful" restore. Minikube and custom kubeadm etcd.local.dataDir are the common
 * cases: the message says which value to pass.
 */
export function checkDataDir(host: string, facts: EtcdMemberFacts, dataDir: string | undefined): Finding {
  const runs = trimDir(facts.hostDataDir);
  const behind = facts.dataDir === facts.hostDataDir ? '' : ` (the hostPath behind its --data-dir ${facts.dataDir})`;
  if (!dataDir) return { level: 'info', message: `${host}: etcd runs with the data dir ${runs}${behind}` };
  if (trimDir(dataDir) === runs) return { level: 'ok', message: `${host}: dataDir ${runs} is the dir etcd runs with (${facts.origin.dataDir}${behind})` };
  const hint = trimDir(dataDir) === '/var/lib/etcd' ? ` (dataDir is the default /var/lib/etcd, but this ${facts.layout} etcd keeps its data elsewhere)` : '';
  return {
    level: 'error',
    message: `${host}: dataDir ${dataDir} is not the dir etcd runs with: ${facts.configuredBy} runs etcd on ${runs}${behind}${hint}; restoring into ${dataDir} would leave etcd serving its old data: pass -p dataDir=${runs} (or set dataDir for ${host} in the inventory)`,
  };
}
