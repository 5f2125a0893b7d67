// The files of a sandbox node besides its PKI and manifests: its kubeadm folders, the
// crictl wrapper in bin/, and the drbook inventory that points runbooks at the nodes
// with the same host vars a real kubeadm master would get from its defaults.

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { quoteArg } from '../shell/quote.js';
import { commandOfEntry, filesOfSandbox, pathsOfNode, type SandboxNode } from './layout.js';
import { apiServerUrlOf, clientUrlOf } from './manifests.js';
import { runnerPidFile } from './runner/pid-file.js';
import { inventorySshFieldsOf } from './ssh/access.js';
import type { SandboxSshAccess } from './ssh/files.js';

export async function createNodeFolders(node: SandboxNode): Promise<void> {
  const p = pathsOfNode(node.root);
  await Promise.all([p.manifestsDir, p.stashDir, p.etcdPkiDir, p.logsDir, p.runDir, p.binDir].map((d) => mkdir(d, { recursive: true })));
  // etcd refuses (3.4 warns, 3.5+ refuses) a data dir readable by others.
  await mkdir(p.dataDir, { recursive: true, mode: 0o700 });
  await chmod(p.dataDir, 0o700);
}

/** <node>/bin/crictl: runs the stand-in over this node's containers.json. */
export async function writeCrictlWrapper(node: SandboxNode): Promise<string> {
  const p = pathsOfNode(node.root);
  const command = [...commandOfEntry('sandbox/crictl/main'), '--state', p.containersFile].map(quoteArg).join(' ');
  const script = `#!/bin/sh\n# crictl stand-in of sandbox node ${node.name} (written by drbook sandbox up)\nexec ${command} "$@"\n`;
  await writeFile(p.crictl, script, { mode: 0o755 });
  await chmod(p.crictl, 0o755);
  return p.crictl;
}

/** The per-host vars the restore runbooks take (see the sandbox layout contract). */
export function hostVarsOf(node: SandboxNode): Record<string, string> {
  const p = pathsOfNode(node.root);
  return {
    manifestsDir: p.manifestsDir,
    pkiDir: p.pkiDir,
    etcdPkiDir: p.etcdPkiDir,
    dataDir: p.dataDir,
    kubeconfig: p.kubeconfig,
    crictl: p.crictl,
    etcdEndpoint: clientUrlOf(node),
    apiServer: apiServerUrlOf(node),
    stashDir: p.stashDir,
    // "Restart the kubelet": the runner restarts the controller-manager, the scheduler
    // (and the API server) on SIGHUP.
    kubeletRestart: `kill -HUP "$(cat ${quoteArg(runnerPidFile(node.root))})"`,
  };
}

/** Local hosts, or (given `ssh`) hosts reached over SSH at their own address with strict host keys; the same vars either way. */
export function buildSandboxInventory(dir: string, nodes: SandboxNode[], ssh?: SandboxSshAccess): Record<string, unknown> {
  const connectionOf = (node: SandboxNode) => (ssh ? inventorySshFieldsOf(ssh, node.ip) : { connection: 'local' });
  return {
    apiVersion: 'drbook/v1',
    kind: 'Inventory',
    // hostStateDir: the node's own /var/lib/drbook (its host lock and run markers), as on a real master.
    hosts: Object.fromEntries(nodes.map((node) => [node.name, { ...connectionOf(node), hostStateDir: join(node.root, 'var/lib/drbook'), vars: hostVarsOf(node) }])),
    groups: { masters: { hosts: nodes.map((node) => node.name) } },
  };
}

export async function writeSandboxInventory(dir: string, nodes: SandboxNode[], ssh?: SandboxSshAccess): Promise<string> {
  const file = filesOfSandbox(dir).inventory;
  const how = ssh
    ? `Every node is an SSH host: its own sshd on its own address (port ${ssh.port}), host keys checked\n# strictly against ${ssh.knownHostsFile}`
    : 'Every node is a local host';
  const header = `# drbook inventory of the sandbox in ${dir} (written by \`drbook sandbox up\`).\n# ${how}; its vars are the kubeadm paths inside the node's folder.\n`;
  await writeFile(file, header + stringify(buildSandboxInventory(dir, nodes, ssh)));
  return file;
}
