// A real etcd 3.4 for tests: TLS with client-cert auth (like kubeadm's), certificates
// made with openssl in a temp dir, free ports, stopped by the PID it started.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { isProcessAlive } from '@drbook/system';
import { findFreePort } from '../../support/ports.js';

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** CA, a server pair for 127.0.0.1/localhost (and `extraIps`), a client pair: EC P-256, milliseconds each. */
export async function makeTestPki(dir: string, extraIps: string[] = []): Promise<TestPki> {
  await mkdir(dir, { recursive: true });
  const p = (name: string) => join(dir, name);
  const base = ['req', '-x509', '-config', '/dev/null', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'];
  await execa('openssl', [
    ...base,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
    '-subj',
    '/CN=test-etcd-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,digitalSignature,keyCertSign',
  ]);
  const leaf = (name: string, cn: string, eku: string, san?: string) =>
    execa('openssl', [
      ...base,
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.crt`),
      '-subj',
      `/CN=${cn}`,
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      '-addext',
      `extendedKeyUsage=${eku}`,
      ...(san ? ['-addext', `subjectAltName=${san}`] : []),
    ]);
  await Promise.all([
    leaf('server', 'etcd-server', 'serverAuth,clientAuth', ['IP:127.0.0.1', ...extraIps.map((ip) => `IP:${ip}`), 'DNS:localhost'].join(',')),
    leaf('healthcheck-client', 'kube-etcd-healthcheck-client', 'clientAuth'),
  ]);
  return { dir, ca: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('healthcheck-client.crt'), clientKey: p('healthcheck-client.key') };
}

export const freePort = (): Promise<number> => findFreePort('127.0.0.1');

export interface EtcdOptions {
  dataDir: string;
  name?: string;
  pki?: TestPki;
  clientPort?: number;
  peerPort?: number;
  /** For a restored data dir: the peer URL it was restored with. */
  peerUrl?: string;
  initialCluster?: string;
}

export interface RunningEtcd {
  pid: number;
  endpoint: string;
  peerUrl: string;
  name: string;
  dataDir: string;
  /** etcdctl arguments reaching it (TLS included). */
  ctlArgs: string[];
  stop(): Promise<void>;
  log(): string;
}

export async function startEtcd(options: EtcdOptions): Promise<RunningEtcd> {
  const name = options.name ?? 'test';
  const clientPort = options.clientPort ?? (await freePort());
  const peerPort = options.peerPort ?? (await freePort());
  const scheme = options.pki ? 'https' : 'http';
  const endpoint = `${scheme}://127.0.0.1:${clientPort}`;
  const peerUrl = options.peerUrl ?? `http://127.0.0.1:${peerPort}`;
  const peerListen = `http://127.0.0.1:${new URL(peerUrl).port}`;
  const args = [
    '--name',
    name,
    '--data-dir',
    options.dataDir,
    '--listen-client-urls',
    endpoint,
    '--advertise-client-urls',
    endpoint,
    '--listen-peer-urls',
    peerListen,
    '--initial-advertise-peer-urls',
    peerUrl,
    '--initial-cluster',
    options.initialCluster ?? `${name}=${peerUrl}`,
    '--snapshot-count',
    '1000',
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
  ];
  if (options.pki) args.push('--cert-file', options.pki.serverCert, '--key-file', options.pki.serverKey, '--trusted-ca-file', options.pki.ca, '--client-cert-auth');
  let output = '';
  const child: ChildProcess = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const pid = child.pid!;
  const ctlArgs = ['--endpoints', endpoint, ...(options.pki ? ['--cacert', options.pki.ca, '--cert', options.pki.clientCert, '--key', options.pki.clientKey] : [])];
  const stop = async () => {
    if (!isProcessAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  };
  const running: RunningEtcd = { pid, endpoint, peerUrl, name, dataDir: options.dataDir, ctlArgs, stop, log: () => output };
  // Ready when a linearizable read goes through.
  for (let i = 0; ; i++) {
    const probe = await execa('etcdctl', [...ctlArgs, 'endpoint', 'health'], { reject: false, env: { ETCDCTL_API: '3' } });
    if (probe.exitCode === 0) return running;
    if (!isProcessAlive(pid) || i > 100) {
      await stop();
      throw new Error(`etcd did not become healthy: ${output.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

export function etcdctl(etcd: RunningEtcd, ...args: string[]) {
  return execa('etcdctl', [...etcd.ctlArgs, ...args], { env: { ETCDCTL_API: '3' } });
}

/**
 * Clean-ups run last-in first-out in one hook (processes stop before their dirs go),
 * also when the test fails.
 */
export function cleanups(t: { after(fn: () => unknown): void }) {
  const stack: Array<() => unknown> = [];
  t.after(async () => {
    for (const fn of stack.reverse()) await fn();
  });
  return {
    add: (fn: () => unknown) => stack.push(fn),
    tempDir: async (prefix = 'drbook-etcd-') => {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      stack.push(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
    etcd: async (options: EtcdOptions) => {
      const etcd = await startEtcd(options);
      stack.push(() => etcd.stop());
      return etcd;
    },
  };
}

export async function writeText(path: string, text: string): Promise<void> {
  await writeFile(path, text);
}
