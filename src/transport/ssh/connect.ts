// Opening one authenticated ssh2 connection to a target, through its jump hosts if it
// has any: connect to the first hop, forward a TCP stream from it to the next, run
// SSH over that stream, and so on. Every hop checks its own host key. Failures become
// DrbookErrors that name the host and say what to do.

import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client } from 'ssh2';
import { DrbookError } from '../../core/errors.js';
import { prepareAuthentication, type AuthDeps } from './auth.js';
import { prepareHostKeyCheck } from './host-key-check.js';
import type { SshTarget } from './resolve-target.js';

export interface ConnectDeps {
  auth?: AuthDeps;
  /** ssh2's debug lines, for troubleshooting. */
  debug?: (message: string) => void;
}

export interface SshConnection {
  /** The client connected to the target itself. */
  client: Client;
  /** Clients of the jump hops, first hop first. */
  hops: Client[];
  /** Ends the target connection, then the hops under it. */
  end(): void;
}

export async function openConnection(target: SshTarget, deps: ConnectDeps = {}): Promise<SshConnection> {
  const chain = [...target.jumps, target];
  const clients: Client[] = [];
  const endAll = () => [...clients].reverse().forEach((c) => c.end());
  try {
    for (const [index, hop] of chain.entries()) {
      const previous = clients[index - 1];
      const sock = previous ? await forwardTo(previous, chain[index - 1]!, hop) : undefined;
      clients.push(await connectOne(hop, sock, deps, index < chain.length - 1 ? target : undefined));
    }
  } catch (error) {
    endAll();
    throw error;
  }
  return { client: clients[clients.length - 1]!, hops: clients.slice(0, -1), end: endAll };
}

async function connectOne(target: SshTarget, sock: Duplex | undefined, deps: ConnectDeps, serving?: SshTarget): Promise<Client> {
  const check = await prepareHostKeyCheck({
    hostName: target.name,
    address: target.address,
    port: target.port,
    knownHostsFiles: target.knownHostsFiles,
    checking: target.hostKeyChecking,
  });
  const auth = await prepareAuthentication(target, deps.auth);
  const client = new ssh2.Client();
  let refusal: DrbookError | undefined;
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return; // ssh2 may report more than one error for one failure
      settled = true;
      client.end();
      reject(refusal ?? describeConnectError(error, target, auth.summary, serving));
    };
    client.on('error', fail);
    client.once('close', () => fail(new Error('connection closed during the SSH handshake')));
    client.once('ready', () => {
      settled = true;
      // Commands are small request/response exchanges: Nagle's delay would add ~40 ms to each.
      client.setNoDelay(true);
      // From here on the transport listens; until it does, late errors must not go unhandled.
      client.removeListener('error', fail);
      client.on('error', () => {});
      resolve(client);
    });
    client.connect({
      host: target.address,
      port: target.port,
      sock,
      username: target.user,
      authHandler: auth.authHandler,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        check.verify(key).then(
          () => verify(true),
          (error: DrbookError) => {
            refusal = error;
            verify(false);
          },
        );
      },
      algorithms: { serverHostKey: check.algorithms },
      readyTimeout: target.connectTimeoutMs,
      keepaliveInterval: target.keepaliveIntervalMs,
      keepaliveCountMax: target.keepaliveCountMax,
      debug: deps.debug,
    });
  });
}

function forwardTo(jump: Client, jumpTarget: SshTarget, next: SshTarget): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, next.address, next.port, (error, stream) => {
      if (error) {
        reject(
          new DrbookError('unreachable', `jump host ${jumpTarget.name} could not open a connection to ${next.address}:${next.port}: ${error.message}`, {
            host: next.name,
            cause: error,
            hint: `check that ${jumpTarget.name} can reach ${next.address}:${next.port} and that its sshd allows TCP forwarding`,
          }),
        );
      } else resolve(stream);
    });
  });
}

/** Turn ssh2's and the socket's errors into operator-facing ones. */
export function describeConnectError(error: unknown, target: SshTarget, authSummary: string, serving?: SshTarget): DrbookError {
  if (error instanceof DrbookError) return error;
  const err = error as Error & { code?: string | number; level?: string };
  const where = `${target.user}@${target.address}:${target.port}`;
  const via = serving ? ` (jump host for ${serving.name})` : '';
  const host = (serving ?? target).name;
  if (err.level === 'client-authentication') {
    return new DrbookError('input', `authentication to ${where}${via} failed: ${authSummary}`, {
      host,
      cause: err,
      hint: `check that the key's public half is in ${target.user}'s authorized_keys on ${target.address}`,
    });
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is sshd running, on this port?)',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
    EHOSTUNREACH: 'no route to host',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    ECONNRESET: 'connection reset',
  };
  const reason =
    err.level === 'client-timeout'
      ? `no SSH handshake within ${Math.round(target.connectTimeoutMs / 100) / 10} s`
      : (typeof err.code === 'string' && reasons[err.code]) || err.message || String(error);
  return new DrbookError('unreachable', `cannot connect to ${where}${via}: ${reason}`, { host, cause: err });
}
