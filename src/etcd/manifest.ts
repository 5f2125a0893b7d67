// The etcd static pod manifest (kubeadm's /etc/kubernetes/manifests/etcd.yaml) is where
// each master's member name, peer URL, data dir and TLS files are written down. Reading
// them from the host's own manifest keeps a restore from registering the member as
// http://localhost:2380 (the classic failure) or with another host's identity.

import { posix } from 'node:path';
import { LineCounter, isSeq, parseDocument, type Node } from 'yaml';
import { DrbookError } from '../core/errors.js';
import type { Transport } from '../core/transport.js';
import { SETTING_FLAGS, settingsFromFlags, type EtcdSettings, type SettingKey } from './etcd-settings.js';
import { readPodFacts, type PodFacts } from './manifest-pod.js';

/** Flags drbook reads from the etcd command line, by their manifest names (one table for flags, env and config file). */
export const MANIFEST_FLAGS = SETTING_FLAGS;

export type ManifestField = SettingKey;

export interface EtcdManifest {
  /** Where it was read from (on the host). */
  file: string;
  /** Every --flag of the command (and args), value '' for a bare flag. */
  flags: Record<string, string>;
  /** The flags drbook uses; undefined when the manifest does not set them. */
  values: EtcdSettings;
  /** Volumes, user, image and annotations of the pod (see manifest-pod.ts). */
  pod: PodFacts;
}

function fail(file: string, message: string, host?: string): never {
  throw new DrbookError('step', `etcd manifest ${file}: ${message}`, { host });
}

/** Parse the text of an etcd static pod manifest. `file` is only used in messages. */
export function parseEtcdManifest(text: string, file: string, host?: string): EtcdManifest {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const place = lineCounter.linePos(error.pos[0]);
    const where = `${file}:${place.line}:${place.col}`;
    throw new DrbookError('step', `etcd manifest ${where}: not valid YAML: ${error.message.split('\n')[0]}`, { host });
  }
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    if (offset === undefined) return file;
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const containers = doc.getIn(['spec', 'containers'], true) as Node | undefined;
  if (!isSeq(containers) || containers.items.length === 0) fail(file, 'expected a pod with spec.containers (a list), found none', host);
  // The etcd container: the one named etcd, else the first (kubeadm, RKE2 and minikube have one).
  const names = (containers.toJSON() as Array<{ name?: unknown }>).map((c) => (c && typeof c === 'object' ? c.name : undefined));
  const index = Math.max(0, names.indexOf('etcd'));
  const container = doc.getIn(['spec', 'containers', index], true) as Node | undefined;
  const commandNode = doc.getIn(['spec', 'containers', index, 'command'], true) as Node | undefined;
  const argsNode = doc.getIn(['spec', 'containers', index, 'args'], true) as Node | undefined;
  const words: unknown[] = [];
  for (const node of [commandNode, argsNode]) {
    if (node === undefined) continue;
    if (!isSeq(node)) throw new DrbookError('step', `etcd manifest ${at(node)}: expected spec.containers[${index}].command/args to be a list of strings`, { host });
    words.push(...(node.toJSON() as unknown[]));
  }
  if (words.length === 0) throw new DrbookError('step', `etcd manifest ${at(container)}: spec.containers[${index}] has no command: expected the etcd command line with its --flags`, { host });
  const flags = parseFlags(words.map(String));
  return { file, flags, values: settingsFromFlags(flags), pod: readPodFacts(doc.toJSON(), index) };
}

/** `--flag=value`, `--flag value` and bare `--flag` (kubeadm writes the first form). */
export function parseFlags(words: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const match = /^--?([A-Za-z0-9][\w.-]*)(?:=(.*))?$/s.exec(word);
    if (!match) continue;
    if (match[2] !== undefined) flags[match[1]!] = match[2];
    else if (i + 1 < words.length && !words[i + 1]!.startsWith('-')) flags[match[1]!] = words[++i]!;
    else flags[match[1]!] = '';
  }
  return flags;
}

export interface FoundManifest {
  manifest: EtcdManifest;
  /** 'manifests' when it is in place, 'stash' when static-pods.stop moved it. */
  where: 'manifests' | 'stash';
  /** The file's bytes as read: an edit starts from them (and keeps them byte-identical) without a second read. */
  bytes: Buffer;
}

/** Where the manifest is now: in place, or in the stash (moved there by static-pods.stop). null if neither. */
export async function locateEtcdManifest(transport: Transport, path: string, stashDir?: string): Promise<{ path: string; where: 'manifests' | 'stash' } | null> {
  if (await transport.stat(path)) return { path, where: 'manifests' };
  if (stashDir) {
    const stashed = posix.join(stashDir, posix.basename(path));
    if (await transport.stat(stashed)) return { path: stashed, where: 'stash' };
  }
  return null;
}

/** Read and parse the manifest from the host (in place or in the stash); null when it is in neither. */
export async function readEtcdManifest(transport: Transport, path: string, stashDir?: string): Promise<FoundManifest | null> {
  const found = await locateEtcdManifest(transport, path, stashDir);
  if (!found) return null;
  let bytes: Buffer;
  try {
    bytes = await transport.readFile(found.path);
  } catch (error) {
    throw new DrbookError('step', `etcd manifest ${found.path}: cannot be read on ${transport.hostName}: ${(error as Error).message}`, { host: transport.hostName, cause: error });
  }
  return { manifest: parseEtcdManifest(bytes.toString('utf8'), found.path, transport.hostName), where: found.where, bytes };
}

/** "a=https://x:2380,b=https://y:2380" as pairs; a name may appear with several URLs. */
export function parseInitialCluster(value: string): Array<{ name: string; peerUrl: string }> {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf('=');
      return eq < 0 ? { name: entry, peerUrl: '' } : { name: entry.slice(0, eq), peerUrl: entry.slice(eq + 1) };
    });
}
