// The disaster of the demo, done to a sandbox node only: etcd's data is destroyed.
// etcd is stopped the kubelet way (its manifest leaves the folder), its data dir is
// emptied, and it is started again: it comes back as a new, empty cluster, exactly
// what an operator finds after losing the disk.

import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { sleep } from '@drbook/system';
import { pathsOfNode, type SandboxNodeInfo } from '@drbook/sandbox';

export async function destroyEtcdData(node: SandboxNodeInfo): Promise<void> {
  const paths = pathsOfNode(node.root);
  const manifest = join(paths.manifestsDir, 'etcd.yaml');
  const parked = join(node.root, 'disaster-etcd.yaml');
  await rename(manifest, parked);
  await waitFor(async () => (await etcdContainers(node)).length === 0, 'etcd to stop');
  for (const entry of await readdir(paths.dataDir)) await rm(join(paths.dataDir, entry), { recursive: true, force: true });
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  await rename(parked, manifest);
  await waitFor(async () => (await etcdContainers(node)).length > 0, 'etcd to start again');
}

async function etcdContainers(node: SandboxNodeInfo): Promise<string[]> {
  const result = await execa(node.crictl, ['ps', '-q', '--name', '^etcd$'], { reject: false });
  if (result.exitCode !== 0) throw new Error(`crictl on ${node.name} failed: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean);
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
