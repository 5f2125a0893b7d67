// How an operator (or a runbook) reaches a sandbox node over SSH: the `ssh` command
// line printed by `sandbox up`, and the inventory fields of each host. Host keys are
// always checked strictly against the sandbox's own known_hosts: a rehearsal must take
// the same path as production, where there is no opting out.

import { quoteArg } from '@drbook/system';
import type { SandboxSshAccess } from './files.js';

/** `ssh -i KEY -o UserKnownHostsFile=... -p PORT user@address`, ready to paste. */
export function sshCommandOf(access: SandboxSshAccess, address: string): string {
  return [
    'ssh',
    '-i',
    quoteArg(access.identityFile),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    quoteArg(`UserKnownHostsFile=${access.knownHostsFile}`),
    '-o',
    'StrictHostKeyChecking=yes',
    '-p',
    String(access.port),
    `${access.user}@${address}`,
  ].join(' ');
}

/** The connection fields of one inventory host (names as in src/inventory/schema.ts). */
export function inventorySshFieldsOf(access: SandboxSshAccess, address: string): Record<string, unknown> {
  return {
    connection: 'ssh',
    address,
    port: access.port,
    user: access.user,
    identityFile: access.identityFile,
    knownHostsFile: access.knownHostsFile,
    hostKeyChecking: 'strict',
  };
}
