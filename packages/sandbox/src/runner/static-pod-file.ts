// Reading a static pod manifest the way the kubelet does: a Pod with at least one
// container whose command (and args) it runs, and the hostPath volumes it prepares
// before the container starts. A file that is not a usable Pod is an SandboxInputError naming
// the file and the key.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { SandboxInputError } from '../errors.js';

export interface HostPathVolume {
  name: string;
  path: string;
  /** '' (no check), DirectoryOrCreate, FileOrCreate, Directory, File, ... */
  type: string;
}

/** What the runner needs from a static pod manifest. */
export interface StaticPod {
  file: string;
  /** metadata.name, e.g. etcd (the kubelet appends the node name for the pod name). */
  name: string;
  namespace: string;
  container: string;
  image: string;
  /** command followed by args, as the container would run them. */
  argv: string[];
  hostPaths: HostPathVolume[];
}

export function parseManifest(text: string, file: string): StaticPod {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new SandboxInputError([{ file, message: `not valid YAML: ${(error as Error).message}` }]);
  }
  const pod = doc as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; spec?: { containers?: unknown; volumes?: unknown } };
  const fail = (path: string, message: string) => new SandboxInputError([{ file, path, message }]);
  if (!pod || typeof pod !== 'object' || pod.kind !== 'Pod') throw fail('kind', 'expected a Pod manifest');
  const name = pod.metadata?.name;
  if (typeof name !== 'string' || !name) throw fail('metadata.name', 'expected the pod name');
  const containers = pod.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) throw fail('spec.containers', 'expected at least one container');
  const c = containers[0] as { name?: unknown; image?: unknown; command?: unknown; args?: unknown };
  const strings = (v: unknown) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined);
  const argv = [...(strings(c.command) ?? []), ...(strings(c.args) ?? [])];
  if (argv.length === 0) throw fail('spec.containers[0].command', 'expected the command to run (a list of strings)');
  return {
    file,
    name,
    namespace: typeof pod.metadata?.namespace === 'string' ? pod.metadata.namespace : 'default',
    container: typeof c.name === 'string' && c.name ? c.name : basename(file).replace(/\.(ya?ml|json)$/, ''),
    image: typeof c.image === 'string' ? c.image : 'unknown',
    argv,
    hostPaths: hostPathsOf(pod.spec?.volumes, fail),
  };
}

function hostPathsOf(volumes: unknown, fail: (path: string, message: string) => SandboxInputError): HostPathVolume[] {
  if (volumes === undefined || volumes === null) return [];
  if (!Array.isArray(volumes)) throw fail('spec.volumes', 'expected a list of volumes');
  return volumes.flatMap((volume, i) => {
    const v = volume as { name?: unknown; hostPath?: { path?: unknown; type?: unknown } };
    if (!v || typeof v !== 'object' || !v.hostPath) return [];
    if (typeof v.hostPath.path !== 'string' || !v.hostPath.path.startsWith('/')) throw fail(`spec.volumes[${i}].hostPath.path`, 'expected an absolute path');
    return [{ name: typeof v.name === 'string' ? v.name : `volume-${i}`, path: v.hostPath.path, type: typeof v.hostPath.type === 'string' ? v.hostPath.type : '' }];
  });
}

export async function readManifest(file: string): Promise<StaticPod> {
  return parseManifest(await readFile(file, 'utf8'), file);
}
