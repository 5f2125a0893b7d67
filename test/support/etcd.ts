// A real etcd (the Debian 3.4 binary) for tests: its own temp dir, free ports on a
// loopback address, optional TLS with client-cert auth, stopped by the PID we started.
// The temp dir holds one sandbox-shaped node (<dir>/<name>/etc/kubernetes/pki from
// generateSandboxPki, data in <dir>/<name>/var/lib/etcd), so tests can point code that
// expects the kubeadm layout at `root`.
// Usage:
//   const etcd = await startTestEtcd({ tls: true });
//   t.after(() => etcd.stop());

import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, open } from 'node:fs/promises';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { findFreePort } from './ports.js';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathsOfNode, generateSandboxPki } from '@drbook/sandbox';

const ETCD = process.env.DRBOOK_TEST_ETCD ?? '/usr/bin/etcd';

export interface TestEtcdOptions {
  /** Folder for data, certs and log; created if missing, removed by stop(). Default: a new temp dir. */
  dir?: string;
  ip?: string;
  /** Default: a free port the OS gives us. */
  clientPort?: number;
  peerPort?: number;
  /** TLS with client-cert auth on the client port, as kubeadm runs etcd. Default true. */
  tls?: boolean;
  /** Member and node name. Default "node1". */
  name?: string;
}

export interface TestEtcd {
  /** https://IP:PORT (or http:// without TLS). */
  endpoint: string;
  /** The etcd CA and the healthcheck-client pair signed by it (generated whether or not tls is on). */
  caFile: string;
  certFile: string;
  keyFile: string;
  dataDir: string;
  dir: string;
  /** <dir>/<name>: a node laid out like a kubeadm master (pki, admin.conf for https://<ip>:6443, var/lib/etcd). */
  root: string;
  ip: string;
  /** PID of the etcd process now running (changes on restart). */
  readonly pid: number;
  logFile: string;
  /** SIGTERM, then SIGKILL after 5 s; then removes dir. Safe to call twice. */
  stop(): Promise<void>;
  /** Stops the process as stop() does, but keeps its data and certs. */
  kill(): Promise<void>;
  /** kill(), then start it again on the same data, ports and certs; resolves once healthy. */
  restart(): Promise<void>;
}

export async function startTestEtcd(options: TestEtcdOptions = {}): Promise<TestEtcd> {
  const ip = options.ip ?? '127.0.0.1';
  const tls = options.tls ?? true;
  const name = options.name ?? 'node1';
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'drbook-etcd-')));
  const root = join(dir, name);
  const paths = pathsOfNode(root);
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  await generateSandboxPki(dir, [{ name, ip, root }]);
  const certs: TestCerts = {
    caFile: join(paths.etcdPkiDir, 'ca.crt'),
    serverCertFile: join(paths.etcdPkiDir, 'server.crt'),
    serverKeyFile: join(paths.etcdPkiDir, 'server.key'),
    clientCertFile: join(paths.etcdPkiDir, 'healthcheck-client.crt'),
    clientKeyFile: join(paths.etcdPkiDir, 'healthcheck-client.key'),
  };
  const dataDir = paths.dataDir;
  const clientPort = options.clientPort ?? (await findFreePort(ip));
  const peerPort = options.peerPort ?? (await findFreePort(ip));
  const scheme = tls ? 'https' : 'http';
  const endpoint = `${scheme}://${ip}:${clientPort}`;
  const peerUrl = `http://${ip}:${peerPort}`;
  const args = [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${name}=${peerUrl}`,
    '--initial-cluster-state=new',
    '--initial-cluster-token=drbook-test',
  ];
  if (tls) {
    args.push('--client-cert-auth=true', `--trusted-ca-file=${certs.caFile}`, `--cert-file=${certs.serverCertFile}`, `--key-file=${certs.serverKeyFile}`);
  }
  const logFile = join(dir, 'etcd.log');
  let current: EtcdProcess | null = null;
  // A test process that dies without running its t.after must not leave etcd behind.
  const killOnExit = () => current && !current.exited() && signal(current.pid, 'SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    current = await launch(args, logFile);
    const proc = current;
    await waitHealthy({ endpoint, tls, certs, isExited: proc.exited, logFile });
  };
  const kill = async () => {
    if (current) await terminate(current);
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    await kill();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    caFile: certs.caFile,
    certFile: certs.clientCertFile,
    keyFile: certs.clientKeyFile,
    dataDir,
    dir,
    root,
    ip,
    logFile,
    get pid() {
      return current!.pid;
    },
    stop,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
  };
}

interface EtcdProcess {
  pid: number;
  exited: () => boolean;
  done: Promise<void>;
}

async function launch(args: string[], logFile: string): Promise<EtcdProcess> {
  const log = await open(logFile, 'a');
  const child = spawn(ETCD, args, { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  if (child.pid === undefined) throw new Error(`could not start ${ETCD}`);
  let exited = false;
  const done = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  return { pid: child.pid, exited: () => exited, done };
}

/** SIGTERM, then SIGKILL if it is still there after 5 s; resolves once it has exited. */
async function terminate(proc: EtcdProcess): Promise<void> {
  if (proc.exited()) return;
  signal(proc.pid, 'SIGTERM');
  const timer = setTimeout(() => !proc.exited() && signal(proc.pid, 'SIGKILL'), 5_000);
  await proc.done;
  clearTimeout(timer);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Asks the OS for a free port by binding port 0, then frees it for etcd. */
export { findFreePort };

interface TestCerts {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

// etcd serves /health on its client port: {"health":"true"} once it has a leader.
async function waitHealthy(input: { endpoint: string; tls: boolean; certs: TestCerts; isExited: () => boolean; logFile: string }): Promise<void> {
  const deadline = Date.now() + 20_000;
  const tlsOptions = input.tls ? { ca: readFileSync(input.certs.caFile), cert: readFileSync(input.certs.clientCertFile), key: readFileSync(input.certs.clientKeyFile) } : {};
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (input.isExited()) throw new Error(`etcd exited during start-up:\n${tail(input.logFile)}`);
    try {
      const body = await getText(`${input.endpoint}/health`, tlsOptions);
      if (JSON.parse(body).health === 'true') return;
      last = body;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`etcd at ${input.endpoint} not healthy after 20 s (${last}):\n${tail(input.logFile)}`);
}

function getText(url: string, tlsOptions: object): Promise<string> {
  const send = url.startsWith('https:') ? request : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { ...tlsOptions, timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
