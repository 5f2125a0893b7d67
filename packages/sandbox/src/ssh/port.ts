// Which port the sandbox's sshds listen on. Port 22 on each node's own address is what a
// real master has, so it is the default whenever it can be had; but a machine's own sshd
// usually listens on 0.0.0.0:22, which takes port 22 on every loopback address too (and
// only root may bind it). Then the sandbox uses SANDBOX_SSH_FALLBACK_PORT on every node,
// one fixed, documented number rather than a random one, so the printed ssh commands and
// the inventory stay the same from one `up` to the next. All nodes share one port: the
// addresses already tell them apart, as on a real cluster.

import { createServer } from 'node:net';
import { SandboxInputError } from '../errors.js';

export const SANDBOX_SSH_PORT = 22;
export const SANDBOX_SSH_FALLBACK_PORT = 2222;

/** Can this process bind address:port right now? The reason when it cannot. */
export function probeBind(address: string, port: number): Promise<{ ok: true } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      resolve({ ok: false, why: error.code === 'EADDRINUSE' ? 'is in use' : error.code === 'EACCES' ? 'needs root' : `cannot be bound (${error.code ?? error.message})` });
    });
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve({ ok: true })));
  });
}

async function firstProblem(addresses: string[], port: number): Promise<string | undefined> {
  for (const address of addresses) {
    const result = await probeBind(address, port);
    if (!result.ok) return `port ${port} on ${address} ${result.why}`;
  }
  return undefined;
}

/** The requested port (refused when not free), else 22 when free on every node, else the fallback. */
export async function chooseSshPort(addresses: string[], requested?: number): Promise<number> {
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1 || requested > 65535) throw new SandboxInputError(`--ssh-port: expected a port number (1-65535), got ${requested}`);
    const problem = await firstProblem(addresses, requested);
    if (problem) throw new SandboxInputError(`--ssh-port: ${problem}`, 'choose another --ssh-port, or other node addresses with --ip-prefix');
    return requested;
  }
  if (!(await firstProblem(addresses, SANDBOX_SSH_PORT))) return SANDBOX_SSH_PORT;
  const problem = await firstProblem(addresses, SANDBOX_SSH_FALLBACK_PORT);
  if (problem) {
    throw new SandboxInputError(
      `sandbox sshd: neither port ${SANDBOX_SSH_PORT} nor ${SANDBOX_SSH_FALLBACK_PORT} is free (${problem})`,
      'choose a port with --ssh-port, or other node addresses with --ip-prefix',
    );
  }
  return SANDBOX_SSH_FALLBACK_PORT;
}
