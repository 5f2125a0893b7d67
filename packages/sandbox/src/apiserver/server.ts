// The HTTPS server: TLS with the node's apiserver pair, client certificates verified
// against --client-ca-file (kubectl presents the admin pair from admin.conf), and one
// etcd client, used for a fresh read on every request.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { SandboxError, SandboxInputError } from '../errors.js';
import { openEtcdClient } from '../cluster-state/etcd-client.js';
import type { ApiServerConfig } from './flags.js';
import { routeRequest } from './router.js';
import { RegistryStore } from './store.js';
import { statusResponse } from './status.js';

export interface RunningApiServer {
  /** https://<bind address>:<port> */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface StartOptions {
  /** One line per request and per problem; default: none. */
  log?: (line: string) => void;
}

export async function startApiServer(config: ApiServerConfig, options: StartOptions = {}): Promise<RunningApiServer> {
  const log = options.log ?? (() => {});
  const tls = {
    key: readPem(config.tlsPrivateKeyFile, '--tls-private-key-file'),
    cert: readPem(config.tlsCertFile, '--tls-cert-file'),
    ca: readPem(config.clientCaFile, '--client-ca-file'),
  };
  const client = openEtcdClient({
    endpoints: config.etcdServers,
    caFile: config.etcdCaFile,
    certFile: config.etcdCertFile,
    keyFile: config.etcdKeyFile,
    // readyz must answer while etcd is down (the restore runbook polls it): fail fast.
    dialTimeoutMs: 3_000,
    callTimeoutMs: 3_000,
  });
  const store = new RegistryStore(client, config.etcdPrefix);
  const serverAddress = `${config.advertiseAddress}:${config.securePort}`;

  // requestCert without rejectUnauthorized: anonymous clients may still reach /healthz,
  // /readyz, /livez and /version; the router refuses them everything else.
  const server = createServer({ ...tls, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'https://sandbox');
    const authenticated = (req.socket as TLSSocket).authorized === true;
    routeRequest({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, accept: req.headers.accept, authenticated }, { store, serverAddress })
      .catch((error: unknown) => statusResponse(500, 'InternalError', String(error)))
      .then((response) => {
        const isText = typeof response.body === 'string';
        const body = isText ? (response.body as string) : JSON.stringify(response.body);
        res.writeHead(response.status, {
          'Content-Type': response.contentType ?? 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'Cache-Control': 'no-cache, private',
        });
        res.end(body);
        log(`${req.method} ${req.url} ${response.status} ${Date.now() - started}ms${authenticated ? '' : ' anonymous'}`);
      });
  });
  server.on('tlsClientError', (error) => log(`TLS handshake failed: ${error.message}`));

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      client.close();
      reject(
        new SandboxError('internal', `kube-apiserver cannot listen on ${serverAddress}: ${error.code ?? error.message}`, {
          cause: error,
          hint: error.code === 'EADDRINUSE' ? 'another API server (or a leftover sandbox) holds that address' : undefined,
        }),
      );
    });
    server.listen(config.securePort, config.bindAddress, () => resolve());
  });
  const address = server.address() as AddressInfo;
  let closed = false;
  return {
    url: `https://${address.address}:${address.port}`,
    server,
    close: async () => {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      client.close();
    },
  };
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new SandboxInputError(`kube-apiserver: cannot read ${flag} ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
