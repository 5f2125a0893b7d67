// A failure late in a restore, after the swap and after the restored etcd ran: a kubectl
// that answers like an API server refusing the credentials ("(Unauthorized)", which
// k8s.nodes-ready knows waiting cannot fix) once the host's data dir has a kept old dir
// beside it, and is the real kubectl before that (so the plan's probes pass). The kubelet
// restart no longer fails a run (k8s.kubelet-restart warns), so verify-nodes is the late
// step that fails.

import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteArg } from '@drbook/system';

export async function writeLateFailingKubectl(dir: string, name: string, dataDir: string): Promise<string> {
  const file = join(dir, `${name}-kubectl`);
  const script = [
    '#!/bin/sh',
    `for kept in ${quoteArg(dataDir)}-old-*; do`,
    '  if [ -e "$kept" ]; then echo "error: You must be logged in to the server (Unauthorized) (injected)" >&2; exit 1; fi',
    'done',
    'exec kubectl "$@"',
    '',
  ].join('\n');
  await writeFile(file, script);
  await chmod(file, 0o755);
  return file;
}
