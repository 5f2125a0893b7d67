// What a manifest's container command becomes on a sandbox node: the real etcd binary,
// drbook's own minimal API server, and stand-ins for the controller-manager and the
// scheduler (nothing in a restore talks to them; they only have to be there, stop and
// come back, like the real pods). Any other command runs as written.

import { accessSync, constants } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { commandOfEntry } from '../layout.js';

/** A process that lives until it is told to stop, logging what it stands for. */
const PLACEHOLDER_SOURCE = [
  'const [name, ...flags] = process.argv.slice(1);',
  'const say = (m) => console.log(`${new Date().toISOString()} ${name}: ${m}`);',
  "say('sandbox stand-in started with ' + flags.join(' '));",
  "process.on('SIGTERM', () => { say('received SIGTERM, stopping'); process.exit(0); });",
  'setInterval(() => {}, 1 << 30);',
].join('\n');

/** First executable `name` on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The etcd binary: $DRBOOK_ETCD_BIN, else etcd on PATH, else Debian's /usr/bin/etcd. */
export function findEtcdBinary(): string {
  return process.env.DRBOOK_ETCD_BIN ?? findOnPath('etcd') ?? '/usr/bin/etcd';
}

export function mapContainerCommand(argv: string[]): string[] {
  const [program, ...flags] = argv;
  if (program === undefined) return argv;
  switch (basename(program)) {
    case 'etcd':
      return [findEtcdBinary(), ...flags];
    case 'kube-apiserver':
      return [...commandOfEntry('apiserver/main'), ...flags];
    case 'kube-controller-manager':
    case 'kube-scheduler':
      return [process.execPath, '-e', PLACEHOLDER_SOURCE, basename(program), ...flags];
    default:
      return argv;
  }
}

/** The environment of a container: the runner's, without what would override its flags. */
export function containerEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  // etcd refuses to start when an ETCD_* variable shadows one of its flags.
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('ETCD_') && !key.startsWith('ETCDCTL_')));
}
