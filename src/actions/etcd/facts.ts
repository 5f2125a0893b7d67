// The etcd facts the restore actions share (facts.ts): which tool restores on the host,
// the etcd manifest (in place or in the stash), and the host's own member as its etcd
// configuration gives it. Each is probed once per host per run and remembered; the
// manifest and the member are `change` facts (static-pods.stop/start move the manifest,
// etcd.quota edits it, dir.swap and etcd.restore change what runs), so every change on
// the host drops them. The tool is a `run` fact: no step of a run installs one.
// Not facts (probed each time on purpose): the live member list (the run changes it:
// etcd is stopped and started), snapshot files and their members (a step uploads or
// copies them), and everything a change's "did it happen?" check or a verification reads.

import { defineFact, type HostFacts } from '../../core/facts.js';
import { discoverEtcdMember, type DiscoveryOptions, type EtcdLayoutDiscovery } from '../../etcd/layout-discovery.js';
import { readEtcdManifest, type FoundManifest } from '../../etcd/manifest.js';
import { detectEtcdTool, type EtcdToolDetection, type ToolOverrides } from '../../etcd/tool.js';

/** etcdutl/etcdctl, version and restore flags. A host without one is asked again (keep: found only). */
export const etcdToolFact = defineFact<EtcdToolDetection, ToolOverrides>({
  name: 'etcd.tool',
  lifetime: 'run',
  key: (o) => JSON.stringify([o.etcdutl ?? null, o.etcdctl ?? null]),
  keep: (detection) => detection.tool !== null,
  probe: (ctx, overrides) => detectEtcdTool(ctx, overrides),
});

export interface ManifestArgs {
  path: string;
  /** Where static-pods.stop stashes it: looked at when it is not in place. */
  stashDir?: string;
}

/** readEtcdManifest: the parsed manifest, where it is now and its bytes (null: in neither place). Parse errors reject (not remembered). */
export const etcdManifestFact = defineFact<FoundManifest | null, ManifestArgs>({
  name: 'etcd.manifest',
  lifetime: 'change',
  key: (a) => JSON.stringify([a.path, a.stashDir || null]),
  probe: (ctx, a) => readEtcdManifest(ctx.transport, a.path, a.stashDir || undefined),
});

/** discoverEtcdMember (layout discovery) with its manifest reads shared with etcdManifestFact. A refusal is asked again. */
export const etcdMemberFact = defineFact<EtcdLayoutDiscovery, Omit<DiscoveryOptions, 'readManifest'>>({
  name: 'etcd.member',
  lifetime: 'change',
  key: (o) => JSON.stringify([o.kubeadmManifest ?? null, o.stashDir || null, o.rke2Manifest ?? null, o.k3sConfig ?? null, o.units ?? null, o.unitDirs ?? null]),
  keep: (discovery) => discovery.ok,
  probe: (ctx, options) => discoverEtcdMember(ctx, { ...options, readManifest: (path, stashDir) => ctx.facts.get(etcdManifestFact, { path, stashDir }) }),
});

/** The run's member facts of a host's kubeadm-style manifest (the shipped runbooks' layout). */
export function askEtcdMember(ctx: { facts: HostFacts }, manifest: string, stashDir?: string): Promise<EtcdLayoutDiscovery> {
  return ctx.facts.get(etcdMemberFact, { kubeadmManifest: manifest, stashDir });
}
