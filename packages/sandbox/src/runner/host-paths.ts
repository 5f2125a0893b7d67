// What the kubelet does with a pod's hostPath volumes before its containers start:
// DirectoryOrCreate creates a missing directory (0755, parents too), FileOrCreate a
// missing empty file (0644). Other types are checks the kubelet makes, not creations:
// the stand-in leaves them. A path that exists is never touched.

import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorMessage } from '../errors.js';
import type { StaticPod } from './static-pod-file.js';

export function prepareHostPaths(pod: Pick<StaticPod, 'container' | 'hostPaths'>, log: (line: string) => void): void {
  for (const volume of pod.hostPaths) {
    if (existsSync(volume.path)) continue;
    try {
      if (volume.type === 'DirectoryOrCreate') {
        mkdirSync(volume.path, { recursive: true, mode: 0o755 });
      } else if (volume.type === 'FileOrCreate') {
        mkdirSync(dirname(volume.path), { recursive: true, mode: 0o755 });
        closeSync(openSync(volume.path, 'a', 0o644));
      } else {
        continue;
      }
      log(`created hostPath ${volume.type} ${volume.path} for ${pod.container}`);
    } catch (error) {
      log(`cannot create hostPath ${volume.path} for ${pod.container}: ${errorMessage(error)}`);
    }
  }
}
