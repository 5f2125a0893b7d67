// A real multi-member etcd 3.4 cluster for tests, built the way kubeadm builds one: the
// first member bootstraps alone (--initial-cluster-state=new), every other member is
// added with `etcdctl member add` and then started with --initial-cluster-state=existing
// and the list `member add` printed. So the first member's id is derived from its peer
// URL and the token, the joined members' ids from the time they were added, exactly as
// on a real kubeadm HA control plane. Client TLS with client-cert auth (like kubeadm),
// peers in plain HTTP. Each member listens on its own loopback address (the test's own
// prefix) on free ports; everything is stopped by the PIDs started here.

import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { isProcessAlive } from '@drbook/system';
import { findFreePort } from '../../support/ports.js';
import { makeTestPki, type TestPki } from './etcd-server.js';

export interface ClusterMember {
  name: string;
  ip: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  /** The --initial-cluster it was started with (its "manifest history"). */
  initialCluster: string;
  initialClusterState: 'new' | 'existing';
  pid: number;
  stop(): Promise<void>;
}

export interface TestCluster {
  dir: string;
  pki: TestPki;
  token: string;
  members: ClusterMember[];
  /** etcdctl (ETCDCTL_API=3, TLS) against the given members' client URLs (default: all running). */
  etcdctl(args: string[], members?: ClusterMember[]): Promise<string>;
  /** `member add` + start, as `kubeadm join --control-plane` does. */
  join(name: string, ip: string): Promise<ClusterMember>;
  /** `member remove`, then stop the process (as `kubeadm reset` does). */
  remove(name: string): Promise<void>;
  stopAll(): Promise<void>;
}

export interface StartClusterOptions {
  dir: string;
  /** One member per address; the first bootstraps, the others join in order. */
  ips: string[];
  names?: string[];
  /** --initial-cluster-token of the first member. Default "etcd-cluster" (etcd's default, what kubeadm leaves). */
  token?: string;
}

export async function startKubeadmLikeCluster(options: StartClusterOptions): Promise<TestCluster> {
  const pki = await makeTestPki(join(options.dir, 'pki'), options.ips);
  const token = options.token ?? 'etcd-cluster';
  const members: ClusterMember[] = [];
  const running = () => members.filter((m) => isProcessAlive(m.pid));
  const ctl = async (args: string[], targets: ClusterMember[] = running()) => {
    const result = await execa(
      'etcdctl',
      ['--endpoints', targets.map((m) => m.clientUrl).join(','), '--cacert', pki.ca, '--cert', pki.clientCert, '--key', pki.clientKey, '--dial-timeout', '3s', ...args],
      {
        env: { ETCDCTL_API: '3' },
        reject: false,
      },
    );
    if (result.exitCode !== 0) throw new Error(`etcdctl ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
    return result.stdout;
  };
  // etcd refuses a membership change until every member has been connected for a while
  // ("unhealthy cluster", etcd's strict reconfig check); kubeadm retries the same way.
  const reconfigure = async (args: string[], targets?: ClusterMember[]) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await ctl(args, targets);
      } catch (error) {
        if (!/unhealthy cluster/.test(String(error)) || attempt > 80) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
  const cluster: TestCluster = {
    dir: options.dir,
    pki,
    token,
    members,
    etcdctl: ctl,
    join: async (name, ip) => {
      const peerUrl = `http://${ip}:${await findFreePort(ip)}`;
      // kubeadm builds the joining member's --initial-cluster from what `member add` answers.
      const out = await reconfigure(['member', 'add', name, `--peer-urls=${peerUrl}`]);
      const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(out)?.[1];
      if (!initialCluster) throw new Error(`member add printed no ETCD_INITIAL_CLUSTER: ${out}`);
      const member = await startMember({ dir: options.dir, pki, name, ip, peerUrl, initialCluster, state: 'existing', token });
      members.push(member);
      return member;
    },
    remove: async (name) => {
      const member = members.find((m) => m.name === name);
      if (!member) throw new Error(`no member ${name}`);
      // The table form: etcdctl's JSON carries ids as numbers beyond 2^53.
      const table = await ctl(
        ['member', 'list'],
        running().filter((m) => m !== member),
      );
      const id = table
        .split('\n')
        .find((line) => line.split(', ')[2] === name)
        ?.split(', ')[0];
      if (!id) throw new Error(`member ${name} is not in the member list:\n${table}`);
      await reconfigure(
        ['member', 'remove', id],
        running().filter((m) => m !== member),
      );
      await member.stop();
    },
    stopAll: async () => {
      await Promise.all(members.map((m) => m.stop()));
    },
  };
  const names = options.names ?? options.ips.map((_, i) => `m${i + 1}`);
  try {
    const [firstIp, ...others] = options.ips;
    const peerUrl = `http://${firstIp}:${await findFreePort(firstIp!)}`;
    members.push(await startMember({ dir: options.dir, pki, name: names[0]!, ip: firstIp!, peerUrl, initialCluster: `${names[0]}=${peerUrl}`, state: 'new', token }));
    for (const [i, ip] of others.entries()) await cluster.join(names[i + 1]!, ip);
  } catch (error) {
    await cluster.stopAll();
    throw error;
  }
  return cluster;
}

interface StartMemberOptions {
  dir: string;
  pki: TestPki;
  name: string;
  ip: string;
  peerUrl: string;
  initialCluster: string;
  state: 'new' | 'existing';
  token: string;
  /** A restored data dir to start on (default <dir>/<name>.etcd). */
  dataDir?: string;
}

/** Start one member and wait until it serves a linearizable read (it has joined a cluster with a leader). */
export async function startMember(options: StartMemberOptions): Promise<ClusterMember> {
  const clientUrl = `https://${options.ip}:${await findFreePort(options.ip)}`;
  const dataDir = options.dataDir ?? join(options.dir, `${options.name}.etcd`);
  const args = [
    `--name=${options.name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${options.peerUrl}`,
    `--initial-advertise-peer-urls=${options.peerUrl}`,
    `--initial-cluster=${options.initialCluster}`,
    `--initial-cluster-state=${options.state}`,
    `--initial-cluster-token=${options.token}`,
    '--client-cert-auth=true',
    `--trusted-ca-file=${options.pki.ca}`,
    `--cert-file=${options.pki.serverCert}`,
    `--key-file=${options.pki.serverKey}`,
    '--logger=zap',
    '--log-outputs=stderr',
    '--heartbeat-interval=50',
    '--election-timeout=500',
  ];
  const logFile = join(options.dir, `${options.name}.log`);
  const log = await open(logFile, 'a');
  const child = spawn('etcd', args, { stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  const pid = child.pid!;
  let exited = false;
  const done = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const stop = async () => {
    if (exited) return;
    process.kill(pid, 'SIGTERM');
    const timer = setTimeout(() => !exited && process.kill(pid, 'SIGKILL'), 5_000);
    await done;
    clearTimeout(timer);
  };
  const member: ClusterMember = {
    name: options.name,
    ip: options.ip,
    clientUrl,
    peerUrl: options.peerUrl,
    dataDir,
    initialCluster: options.initialCluster,
    initialClusterState: options.state,
    pid,
    stop,
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const probe = await execa(
      'etcdctl',
      ['--endpoints', clientUrl, '--cacert', options.pki.ca, '--cert', options.pki.clientCert, '--key', options.pki.clientKey, '--dial-timeout', '1s', '--command-timeout', '2s', 'endpoint', 'health'],
      {
        env: { ETCDCTL_API: '3' },
        reject: false,
      },
    );
    if (probe.exitCode === 0) return member;
    if (exited || Date.now() > deadline) {
      await stop();
      const { readFile } = await import('node:fs/promises');
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-8).join('\n');
      throw new Error(`etcd ${options.name} did not become healthy at ${clientUrl}: ${probe.stderr}\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
