// Which layout runs etcd on a host, read through the transport (local or SSH, read-only):
// a static pod (kubeadm's /etc/kubernetes/manifests/etcd.yaml, also minikube's, or
// RKE2's /var/lib/rancher/rke2/agent/pod-manifests/etcd.yaml with its --config-file), or
// a systemd unit (kubespray's /etc/systemd/system/etcd.service + /etc/etcd.env, Debian's
// /lib/systemd/system/etcd.service + /etc/default/etcd). Every layout yields the same
// EtcdMemberFacts (member-facts.ts); anything else is refused with "unsupported layout:
// etcd is configured by X (...)", never answered with empty values.

import { posix } from 'node:path';
import type { ActionContext } from '../core/action.js';
import { errorMessage } from '../core/errors.js';
import { sh } from '../shell/command.js';
import { parseEtcdConfigFile, type EtcdConfigFile } from './etcd-config-file.js';
import { parseFlags, readEtcdManifest, type FoundManifest } from './manifest.js';
import { configFileHostPath, memberFactsFromStaticPod, type EtcdMemberFacts } from './member-facts.js';
import { memberFactsFromSystemd } from './member-facts-systemd.js';
import { expandExecStart, mergeServiceEnvironment, parseEnvironmentFile, parseServiceUnit, type UnitFragment } from './systemd-unit.js';
import { probeEtcdBinaryVersion, versionOfImage } from './version-skew.js';

export interface DiscoveryOptions {
  /** kubeadm's (and minikube's) etcd manifest. */
  kubeadmManifest?: string;
  /** Where static-pods.stop stashed the manifests, if it ran. */
  stashDir?: string;
  rke2Manifest?: string;
  /** k3s runs etcd inside its own process: found only to be refused clearly. */
  k3sConfig?: string;
  units?: string[];
  unitDirs?: string[];
  /** How a static pod manifest is read (default readEtcdManifest): the actions hand in the run's cached etcd.manifest fact. */
  readManifest?: (path: string, stashDir: string | undefined) => Promise<FoundManifest | null>;
}

export const DEFAULT_DISCOVERY: Required<Omit<DiscoveryOptions, 'stashDir' | 'readManifest'>> = {
  kubeadmManifest: '/etc/kubernetes/manifests/etcd.yaml',
  rke2Manifest: '/var/lib/rancher/rke2/agent/pod-manifests/etcd.yaml',
  k3sConfig: '/var/lib/rancher/k3s/server/db/etcd/config',
  units: ['etcd.service'],
  unitDirs: ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'],
};

export type EtcdLayoutDiscovery =
  { ok: true; facts: EtcdMemberFacts; /** Other etcd configurations seen on the host (not used). */ alsoFound: string[] } | { ok: false; problem: string; alsoFound: string[] };

type Ctx = Pick<ActionContext, 'transport' | 'probe'>;

export async function discoverEtcdMember(ctx: Ctx, options: DiscoveryOptions = {}): Promise<EtcdLayoutDiscovery> {
  const o = { ...DEFAULT_DISCOVERY, ...options };
  const host = ctx.transport.hostName;
  const found: string[] = [];
  let chosen: Promise<EtcdLayoutDiscovery> | undefined;
  for (const path of [o.kubeadmManifest, o.rke2Manifest]) {
    let manifest: FoundManifest | null;
    try {
      const stash = path === o.kubeadmManifest ? o.stashDir : undefined;
      manifest = await (options.readManifest ? options.readManifest(path, stash) : readEtcdManifest(ctx.transport, path, stash));
    } catch (error) {
      return { ok: false, problem: errorMessage(error), alsoFound: found };
    }
    if (!manifest) continue;
    found.push(`static pod ${manifest.manifest.file}`);
    chosen ??= factsOfStaticPod(ctx, manifest);
  }
  const unit = await findUnit(ctx, o);
  if (unit) found.push(`systemd unit ${unit.name} (${unit.fragments[0]!.file})`);
  if (!chosen && unit) chosen = factsOfUnit(ctx, unit.name, unit.fragments);
  if (!chosen) {
    if (await ctx.transport.stat(o.k3sConfig)) {
      return {
        ok: false,
        alsoFound: found,
        problem: `unsupported layout: etcd is configured by k3s (embedded in the k3s server process, ${o.k3sConfig}): drbook restores etcd run as a static pod or a systemd service; restore k3s with \`k3s server --cluster-reset --cluster-reset-restore-path=<snapshot>\``,
      };
    }
    return {
      ok: false,
      alsoFound: found,
      problem: `no etcd found on ${host}: none of ${o.kubeadmManifest}${o.stashDir ? ` (nor ${posix.join(o.stashDir, posix.basename(o.kubeadmManifest))})` : ''}, ${o.rke2Manifest}, systemd unit ${o.units.join('/')} in ${o.unitDirs.join(', ')}`,
    };
  }
  const result = await chosen;
  const others = found.slice(1);
  return result.ok ? { ...result, alsoFound: others } : { ...result, alsoFound: others };
}

async function factsOfStaticPod(ctx: Ctx, found: FoundManifest): Promise<EtcdLayoutDiscovery> {
  const { manifest } = found;
  let configFile: EtcdConfigFile | undefined;
  const configPath = configFileHostPath(manifest);
  if (configPath) {
    const read = await readConfigFile(ctx, configPath);
    if ('problem' in read)
      return { ok: false, problem: `unsupported layout: etcd is configured by ${manifest.file} with --config-file=${manifest.flags['config-file']} (${read.problem})`, alsoFound: [] };
    configFile = read.config;
  }
  const result = memberFactsFromStaticPod({ manifest, configFile, imageVersion: versionOfImage(manifest.pod.image) });
  return result.ok ? { ok: true, facts: result.facts, alsoFound: [] } : { ok: false, problem: result.problem, alsoFound: [] };
}

async function readConfigFile(ctx: Ctx, path: string): Promise<{ config: EtcdConfigFile } | { problem: string }> {
  try {
    const text = (await ctx.transport.readFile(path)).toString('utf8');
    return { config: parseEtcdConfigFile(text, path, ctx.transport.hostName) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? `${path} does not exist on ${ctx.transport.hostName}` : errorMessage(error) };
  }
}

/** The unit's main file (first unit dir that has it) and its drop-ins (by file name; earlier dirs win a name). */
async function findUnit(ctx: Ctx, o: typeof DEFAULT_DISCOVERY): Promise<{ name: string; fragments: UnitFragment[] } | null> {
  for (const name of o.units) {
    let main: string | undefined;
    for (const dir of o.unitDirs) {
      const path = posix.join(dir, name);
      const info = await ctx.transport.stat(path);
      // A unit linked to /dev/null is masked: systemd will not start it.
      if (info && info.type !== 'dir') {
        main = path;
        break;
      }
    }
    if (!main) continue;
    const dropIns = new Map<string, string>();
    for (const dir of o.unitDirs) {
      const folder = posix.join(dir, `${name}.d`);
      if (!(await ctx.transport.stat(folder))) continue;
      for (const entry of await ctx.transport.readDir(folder).catch(() => [] as string[])) {
        if (entry.endsWith('.conf') && !dropIns.has(entry)) dropIns.set(entry, posix.join(folder, entry));
      }
    }
    const files = [main, ...[...dropIns.keys()].sort().map((k) => dropIns.get(k)!)];
    const fragments: UnitFragment[] = [];
    for (const file of files) {
      const text = await ctx.transport
        .readFile(file)
        .then((b) => b.toString('utf8'))
        .catch(() => null);
      if (text !== null) fragments.push({ file, text });
    }
    if (fragments.length === 0 || fragments[0]!.file !== main) continue;
    if (fragments[0]!.text.trim() === '') continue; // masked (a link to /dev/null reads as empty)
    return { name, fragments };
  }
  return null;
}

async function factsOfUnit(ctx: Ctx, unit: string, fragments: UnitFragment[]): Promise<EtcdLayoutDiscovery> {
  const refuse = (problem: string): EtcdLayoutDiscovery => ({ ok: false, problem, alsoFound: [] });
  const uses = fragments.some((f) => f.text.includes('%H'));
  const hostname = uses ? (await ctx.probe(sh`uname -n`, { timeoutMs: 10_000 })).stdout.trim() || undefined : undefined;
  const service = parseServiceUnit(fragments, { unit, hostname });
  if (service.problems.length) return refuse(`unsupported layout: etcd is configured by systemd unit ${unit}, which drbook cannot read: ${service.problems.join('; ')}`);
  if (!service.execStart) return refuse(`unsupported layout: etcd is configured by systemd unit ${unit} (${service.files.join(', ')}), which has no ExecStart=`);
  const envFiles: Array<{ path: string; env: Record<string, string> }> = [];
  for (const file of service.environmentFiles) {
    const text = await ctx.transport
      .readFile(file.path)
      .then((b) => b.toString('utf8'))
      .catch((error: NodeJS.ErrnoException) => error);
    if (typeof text === 'string') {
      envFiles.push({ path: file.path, env: parseEnvironmentFile(text) });
    } else if (!file.optional || text.code !== 'ENOENT') {
      return refuse(`systemd unit ${unit}: its EnvironmentFile ${file.path} cannot be read on ${ctx.transport.hostName}: ${text.code ?? text.message}`);
    }
  }
  const { env, origin } = mergeServiceEnvironment(service, envFiles);
  const argv = expandExecStart(service.execStart, env);
  const binary = argv[0] ?? '';
  if (posix.basename(binary) !== 'etcd') {
    return refuse(`unsupported layout: etcd is configured by systemd unit ${unit}, whose ExecStart runs ${service.execStart} (not the etcd binary itself): drbook reads an etcd started directly`);
  }
  const flags = parseFlags(argv.slice(1));
  let configFile: EtcdConfigFile | undefined;
  const configPath = flags['config-file'] || env.ETCD_CONFIG_FILE;
  if (configPath) {
    const read = await readConfigFile(ctx, configPath);
    if ('problem' in read) return refuse(`unsupported layout: etcd is configured by systemd unit ${unit} with the config file ${configPath} (${read.problem})`);
    configFile = read.config;
  }
  const result = memberFactsFromSystemd({
    unit,
    unitFiles: service.files,
    user: service.user,
    group: service.group,
    flags,
    env,
    envOrigin: origin,
    envFiles: envFiles.map((f) => f.path),
    binary,
    execStartFile: service.execStartFile,
    configFile,
  });
  if (!result.ok) return refuse(result.problem);
  const facts = result.facts;
  const [version, ids] = await Promise.all([probeEtcdBinaryVersion(ctx, binary), resolveOwner(ctx, facts.owner.user!, service.group)]);
  if (version.version) facts.version = { version: version.version, from: `${binary} --version` };
  else if (version.problem) facts.notes.push(version.problem);
  Object.assign(facts.owner, ids.uid !== undefined ? ids : {});
  if (ids.problem) facts.notes.push(ids.problem);
  return { ok: true, facts, alsoFound: [] };
}

/** The numeric ids of the user (and group) a unit runs as, for chown and stat checks. */
async function resolveOwner(ctx: Ctx, user: string, group: string | undefined): Promise<{ uid?: number; gid?: number; problem?: string }> {
  const result = await ctx.probe(group ? sh`id -u -- ${user} && getent group ${group}` : sh`id -u -- ${user} && id -g -- ${user}`, { timeoutMs: 10_000 });
  const [uidLine, gidLine] = result.stdout.trim().split('\n');
  const uid = Number(uidLine);
  const gid = group ? Number(gidLine?.split(':')[2]) : Number(gidLine);
  if (result.exitCode !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    return {
      problem: `the user ${user}${group ? ` / group ${group}` : ''} etcd runs as is unknown on ${ctx.transport.hostName}: ${(result.stderr || result.stdout).trim() || `exit ${result.exitCode}`}`,
    };
  }
  return { uid, gid };
}
