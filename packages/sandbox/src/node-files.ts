// The files of a sandbox node besides its PKI and manifests: its kubeadm folders, the
// crictl and kubelet-restart wrappers in bin/, and the drbook inventory that points
// runbooks at the nodes with the same host vars a real kubeadm node would get from its
// defaults. Masters are the group `masters`, workers the group `workers`.

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { quoteArg } from '@drbook/system';
import { commandOfEntry, filesOfSandbox, pathsOfNode, type SandboxNode } from './layout.js';
import { apiServerUrlOf, clientUrlOf } from './manifests.js';
import { runnerPidFile } from './runner/pid-file.js';
import { inventorySshFieldsOf } from './ssh/access.js';
import type { SandboxSshAccess } from './ssh/files.js';

export type NodeRole = 'master' | 'worker';

export async function createNodeFolders(node: SandboxNode, role: NodeRole = 'master'): Promise<void> {
  const p = pathsOfNode(node.root);
  const common = [p.manifestsDir, p.pkiDir, p.kubeletPkiDir, p.logsDir, p.runDir, p.binDir];
  await Promise.all([...common, ...(role === 'master' ? [p.stashDir, p.etcdPkiDir] : [])].map((d) => mkdir(d, { recursive: true })));
  if (role === 'worker') return;
  // etcd refuses (3.4 warns, 3.5+ refuses) a data dir readable by others.
  await mkdir(p.dataDir, { recursive: true, mode: 0o700 });
  await chmod(p.dataDir, 0o700);
}

async function writeScript(file: string, text: string): Promise<string> {
  await writeFile(file, text, { mode: 0o755 });
  await chmod(file, 0o755);
  return file;
}

/** <node>/bin/crictl: runs the stand-in over this node's containers.json. */
export async function writeCrictlWrapper(node: SandboxNode): Promise<string> {
  const p = pathsOfNode(node.root);
  const command = [...commandOfEntry('crictl/main'), '--state', p.containersFile].map(quoteArg).join(' ');
  return writeScript(p.crictl, `#!/bin/sh\n# crictl stand-in of sandbox node ${node.name} (written by drbook sandbox up)\nexec ${command} "$@"\n`);
}

/**
 * <node>/bin/kubelet-restart: the node's `systemctl restart kubelet`. SIGHUP to the
 * node's kubelet stand-in (its static-pod runner, checked by /proc to be that runner),
 * then it waits until the restart is counted in run/kubelet.json, as systemctl returns
 * once the new kubelet runs. The static pods keep running, as with a real kubelet.
 */
export async function writeKubeletRestart(node: SandboxNode): Promise<string> {
  const p = pathsOfNode(node.root);
  const script = `#!/bin/sh
# "systemctl restart kubelet" of sandbox node ${node.name} (written by drbook sandbox up)
pidfile=${quoteArg(runnerPidFile(node.root))}
state=${quoteArg(p.kubeletStateFile)}
pid=$(cat "$pidfile" 2>/dev/null)
case "$pid" in
  ''|*[!0-9]*) echo "kubelet-restart: the kubelet of ${node.name} is not running (no pid in $pidfile)" >&2; exit 1 ;;
esac
if ! grep -qa 'runner/main' "/proc/$pid/cmdline" 2>/dev/null; then
  echo "kubelet-restart: pid $pid in $pidfile is not the kubelet of ${node.name}" >&2; exit 1
fi
restarts() { sed -n 's/^ *"restarts": *\\([0-9]*\\).*/\\1/p' "$state" 2>/dev/null; }
before=$(restarts)
kill -HUP "$pid" || exit 1
i=0
while [ "$i" -lt 100 ]; do
  now=$(restarts)
  if [ -n "$now" ] && [ "$now" != "$before" ]; then echo "kubelet of ${node.name} restarted (restart $now); its static pods keep running"; exit 0; fi
  sleep 0.1
  i=$((i + 1))
done
echo "kubelet-restart: the kubelet of ${node.name} did not record the restart in $state within 10 s" >&2
exit 1
`;
  return writeScript(p.kubeletRestart, script);
}

/** The per-host vars every node has: its kubelet and crictl. */
function kubeletVarsOf(node: SandboxNode): Record<string, string> {
  const p = pathsOfNode(node.root);
  return {
    manifestsDir: p.manifestsDir,
    crictl: p.crictl,
    // "Restart the kubelet": the static pods keep running; the restart is counted in kubeletState.
    kubeletRestart: quoteArg(p.kubeletRestart),
    kubeletState: p.kubeletStateFile,
  };
}

/** The per-host vars the restore runbooks take (see the sandbox layout contract). */
export function hostVarsOf(node: SandboxNode): Record<string, string> {
  const p = pathsOfNode(node.root);
  return {
    ...kubeletVarsOf(node),
    pkiDir: p.pkiDir,
    etcdPkiDir: p.etcdPkiDir,
    dataDir: p.dataDir,
    kubeconfig: p.kubeconfig,
    etcdEndpoint: clientUrlOf(node),
    apiServer: apiServerUrlOf(node),
    stashDir: p.stashDir,
  };
}

/** Local hosts, or (given `ssh`) hosts reached over SSH at their own address with strict host keys; the same vars either way. */
export function buildSandboxInventory(masters: SandboxNode[], workers: SandboxNode[], ssh?: SandboxSshAccess): Record<string, unknown> {
  const connectionOf = (node: SandboxNode) => (ssh ? inventorySshFieldsOf(ssh, node.ip) : { connection: 'local' });
  return {
    apiVersion: 'drbook/v1',
    kind: 'Inventory',
    // hostStateDir: the node's own /var/lib/drbook (its host lock and run markers), as on a real node.
    hosts: Object.fromEntries([
      ...masters.map((node) => [node.name, { ...connectionOf(node), hostStateDir: join(node.root, 'var/lib/drbook'), vars: hostVarsOf(node) }]),
      ...workers.map((node) => [node.name, { ...connectionOf(node), hostStateDir: join(node.root, 'var/lib/drbook'), vars: kubeletVarsOf(node) }]),
    ]),
    groups: {
      masters: { hosts: masters.map((node) => node.name) },
      ...(workers.length > 0 ? { workers: { hosts: workers.map((node) => node.name) } } : {}),
    },
  };
}

export async function writeSandboxInventory(dir: string, masters: SandboxNode[], workers: SandboxNode[], ssh?: SandboxSshAccess): Promise<string> {
  const file = filesOfSandbox(dir).inventory;
  const how = ssh ? `Every node is an SSH host: its own sshd on its own address (port ${ssh.port}), host keys checked\n# strictly against ${ssh.knownHostsFile}` : 'Every node is a local host';
  const header = `# drbook inventory of the sandbox in ${dir} (written by \`drbook sandbox up\`).\n# ${how}; its vars are the kubeadm paths inside the node's folder.\n`;
  await writeFile(file, header + stringify(buildSandboxInventory(masters, workers, ssh)));
  return file;
}
