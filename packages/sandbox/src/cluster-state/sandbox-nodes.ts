// Where a running sandbox's nodes are, read from <dir>/sandbox.json (written by
// `sandbox up`), and the kubeadm paths inside each node's folder (the layout contract).
// Only the fields this folder needs are read, so the file may carry more.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SandboxInputError } from '../errors.js';
import { ETCD_CLIENT_PORT, filesOfSandbox, pathsOfNode } from '../layout.js';

export interface SandboxNodeRef {
  name: string;
  ip: string;
  /** The node's folder: <dir>/<name>. */
  root: string;
}

export interface EtcdAccess {
  endpoint: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export async function readSandboxNodes(dir: string): Promise<SandboxNodeRef[]> {
  const file = filesOfSandbox(dir).info;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SandboxInputError(`no sandbox at ${dir}: cannot read ${file} (${code ?? error})`, 'start one with `drbook sandbox up`');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SandboxInputError([{ file, message: `not valid JSON: ${(error as Error).message}` }]);
  }
  const nodes = (parsed as { nodes?: unknown }).nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) throw new SandboxInputError([{ file, path: 'nodes', message: 'expected a non-empty list of nodes' }]);
  return nodes.map((node, i) => {
    const { name, ip, root } = (node ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || typeof ip !== 'string') {
      throw new SandboxInputError([{ file, path: `nodes[${i}]`, message: 'expected an object with string fields name and ip' }]);
    }
    return { name, ip, root: typeof root === 'string' ? root : join(dir, name) };
  });
}

export function findSandboxNode(nodes: SandboxNodeRef[], name: string | undefined, dir: string): SandboxNodeRef {
  if (name === undefined) return nodes[0]!;
  const node = nodes.find((candidate) => candidate.name === name);
  if (!node) throw new SandboxInputError(`sandbox ${dir} has no node ${name} (it has ${nodes.map((n) => n.name).join(', ')})`);
  return node;
}

/** The node's etcd client endpoint and the healthcheck-client pair kubeadm makes for probes. */
export function etcdAccessOf(node: SandboxNodeRef): EtcdAccess {
  const pki = pathsOfNode(node.root).etcdPkiDir;
  return {
    endpoint: `https://${node.ip}:${ETCD_CLIENT_PORT}`,
    caFile: join(pki, 'ca.crt'),
    certFile: join(pki, 'healthcheck-client.crt'),
    keyFile: join(pki, 'healthcheck-client.key'),
  };
}
