// `drbook sandbox up|down|status|snapshot`: the local stand-in for a kubeadm control
// plane. Human output by default; --json prints one JSON document on stdout (progress
// goes to stderr, so stdout stays machine-readable). The subcommands are entries of the
// one command table (../command-table.ts): parsed, helped and their errors reported
// there, with the exit codes every command has.

import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import {
  DEFAULT_WORKERS,
  sandboxDown,
  sandboxStatus,
  sandboxUp,
  saveSandboxSnapshot,
  type SandboxInfo,
  type SandboxStatus,
  sshCommandOf,
  describeStorageMediaType,
  parseStorageMediaType,
  type StorageMediaType,
} from '@drbook/sandbox';
import { resolveStateDir } from '../../journal/state-dir.js';
import { rethrowAsDrbookError } from '../../rehearsal/sandbox-errors.js';

import type { OptionSpec, ParsedArgs } from '../args.js';
import type { CommandModule } from '../command-table.js';

type Options = OptionSpec;
type Values = ParsedArgs['values'];

/** A subcommand as written here: its spec's parts and its body; `name` is added from the key. */
interface Subcommand {
  usage: string;
  summary: string;
  options: Options;
  help: Array<[string, string]>;
  positionals: [min: number, max: number];
  run(values: Values, positionals: string[]): Promise<number>;
}

const COMMON: Options = { dir: { type: 'string' }, 'state-dir': { type: 'string' }, json: { type: 'boolean' } };
const COMMON_HELP: Array<[string, string]> = [
  ['--dir D', 'The sandbox folder (default <state dir>/sandbox).'],
  ['--state-dir D', "drbook's state dir, when --dir is not given."],
  ['--json', 'Print machine-readable JSON on stdout.'],
];

const out = (text: string) => process.stdout.write(text);
const err = (text: string) => process.stderr.write(text);
/** <stateDir>/sandbox, where `drbook sandbox` works when no --dir is given. */
const defaultSandboxDir = (stateDirFlag?: string) => join(resolveStateDir(stateDirFlag), 'sandbox');
const dirOf = (values: Values) => (typeof values.dir === 'string' ? values.dir : defaultSandboxDir(typeof values['state-dir'] === 'string' ? values['state-dir'] : undefined));

function wholeNumber(flag: string, text: Values[string], fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (typeof text !== 'string' || !/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new InputError(`${flag}: expected a whole number, got "${text}"`);
  return n;
}

function describeUp(info: SandboxInfo): string {
  const workers = info.workers ?? [];
  const lines = [`sandbox up: ${info.nodes.length} master(s) and ${workers.length} worker(s) in ${info.dir}`];
  const sshdOf = (node: { sshd?: { address: string; port: number; pid?: number } }) => (node.sshd ? `  sshd ${node.sshd.address}:${node.sshd.port} pid ${node.sshd.pid}` : '');
  for (const node of info.nodes) lines.push(`  ${node.name}  ${node.ip}  etcd ${node.etcdEndpoint}  api ${node.apiServer}  kubelet pid ${node.runnerPid}${sshdOf(node)}`);
  for (const node of workers) lines.push(`  ${node.name}  ${node.ip}  worker  kubelet pid ${node.runnerPid}${sshdOf(node)}`);
  const first = info.nodes[0]!;
  if (info.seeded) {
    const storedAs = info.seeded.storageMediaType ? `, stored as ${describeStorageMediaType(info.seeded.storageMediaType as StorageMediaType)}` : '';
    lines.push(`cluster state: ${info.seeded.totalKeys} keys under /registry (nodes ${info.seeded.nodes.join(', ')}${storedAs})`);
  }
  lines.push(`inventory:  ${info.inventory}${info.sshAccess ? ' (every node over SSH, strict host keys)' : ''}`);
  if (info.sshAccess) {
    lines.push(`ssh:        ${sshCommandOf(info.sshAccess, first.ip)}`);
    const others = [...info.nodes.slice(1), ...workers];
    if (others.length > 0) lines.push(`            (the other nodes: same command with ${others.map((n) => `${info.sshAccess!.user}@${n.ip}`).join(', ')})`);
  }
  lines.push(`kubectl:    kubectl --kubeconfig ${first.kubeconfig} get nodes`, `crictl:     ${first.crictl} ps`);
  lines.push(`stop it:    drbook sandbox down --dir ${info.dir}`);
  return lines.join('\n') + '\n';
}

function describeStatus(status: SandboxStatus): string {
  if (!status.status) return `no sandbox in ${status.dir}\n`;
  const lines = [`sandbox ${status.dir}: ${status.status}, ${status.healthy ? 'healthy' : 'NOT healthy'} (created ${status.createdAt})`];
  for (const node of status.nodes) {
    const restarts = node.kubelet?.restarts ? `, ${node.kubelet.restarts} restart(s)` : '';
    const runner = node.runner.alive ? `kubelet pid ${node.runner.pid}${restarts}` : 'kubelet NOT running';
    const sshd = node.sshd ? `; sshd ${node.sshd.address}:${node.sshd.port} ${node.sshd.alive ? `pid ${node.sshd.pid}` : `NOT running (pid ${node.sshd.pid ?? '?'})`}` : '';
    const etcd = node.etcd ? `; etcd ${node.etcd.ok ? 'healthy' : `unhealthy (${node.etcd.detail})`}` : '';
    lines.push(`  ${node.name} ${node.ip} (${node.role}): ${runner}${sshd}${etcd}`);
    for (const c of node.containers) lines.push(`    ${c.name.padEnd(24)} ${c.state.padEnd(8)} pid ${String(c.pid).padEnd(8)} attempt ${c.attempt}`);
  }
  return lines.join('\n') + '\n';
}

const SUBCOMMANDS = {
  up: {
    usage: 'drbook sandbox up [--nodes N] [--workers M] [--ip-prefix P] [--ssh [--ssh-port PORT]] [--storage-media-type protobuf|json] [--dir D] [--timeout S] [--json]',
    summary:
      'Create and start a local cluster built the way kubeadm builds one: per master real etcd (TLS, client-cert auth; the first master `kubeadm init`, the others joined one by one), a minimal API server, a static-pod runner as kubelet and a crictl stand-in; per worker a kubelet.',
    options: {
      ...COMMON,
      nodes: { type: 'string' },
      workers: { type: 'string' },
      'ip-prefix': { type: 'string' },
      ssh: { type: 'boolean' },
      'ssh-port': { type: 'string' },
      'storage-media-type': { type: 'string' },
      timeout: { type: 'string' },
    },
    help: [
      ['--nodes N', 'Number of control-plane nodes (default 1): node1, node2, ...'],
      ['--workers M', `Number of worker nodes (default ${DEFAULT_WORKERS}, the seeded cluster's): worker1, worker2, ...`],
      ['--ip-prefix P', 'Loopback prefix; master i listens on <P><10+i>, worker i on <P><20+i> (default 127.0.0. → 127.0.0.11, ..., 127.0.0.21, ...).'],
      [
        '--ssh',
        'Give every node its own OpenSSH server on its own address, with generated host keys and one user key; the inventory then reaches the nodes over SSH (strict known_hosts), like real masters.',
      ],
      ['--ssh-port PORT', "Port of every node's sshd (default 22 when free on the node addresses, else 2222)."],
      [
        '--storage-media-type T',
        "How the cluster state is stored, as kube-apiserver's flag: protobuf (application/vnd.kubernetes.protobuf, the default, what real clusters store) or json (application/json; the manifest then carries --storage-media-type=application/json).",
      ],
      ['--timeout S', 'Seconds to wait for etcd and the API servers (default 90).'],
      ...COMMON_HELP,
    ],
    positionals: [0, 0],
    async run(values) {
      const info = await sandboxUp({
        dir: dirOf(values),
        nodes: wholeNumber('--nodes', values.nodes, 1),
        workers: wholeNumber('--workers', values.workers, DEFAULT_WORKERS),
        ipPrefix: typeof values['ip-prefix'] === 'string' ? values['ip-prefix'] : undefined,
        ssh: values.ssh === true,
        sshPort: values['ssh-port'] === undefined ? undefined : wholeNumber('--ssh-port', values['ssh-port'], 0),
        timeoutMs: wholeNumber('--timeout', values.timeout, 90) * 1000,
        storageMediaType: typeof values['storage-media-type'] === 'string' ? parseStorageMediaType(values['storage-media-type']) : undefined,
        onProgress: (message) => err(`sandbox: ${message}\n`),
      });
      out(values.json ? JSON.stringify(info, null, 2) + '\n' : describeUp(info));
      return 0;
    },
  },
  down: {
    usage: 'drbook sandbox down [--dir D] [--json]',
    summary: 'Stop every process the sandbox started (also after a crash) and remove its folder. Safe to repeat.',
    options: COMMON,
    help: COMMON_HELP,
    positionals: [0, 0],
    async run(values) {
      const report = await sandboxDown({ dir: dirOf(values) });
      if (values.json) out(JSON.stringify(report, null, 2) + '\n');
      else if (!report.existed) out(`no sandbox in ${report.dir}: nothing to do\n`);
      else {
        const orphans = report.killedContainers.length ? `; killed ${report.killedContainers.length} leftover process(es): ${report.killedContainers.join(', ')}` : '';
        const sshd = report.stoppedSshd.length ? `, ${report.stoppedSshd.length} sshd process(es)` : '';
        out(`sandbox down: stopped ${report.stoppedRunners.length} runner(s)${sshd}${orphans}; removed ${report.dir}\n`);
      }
      return 0;
    },
  },
  status: {
    usage: 'drbook sandbox status [--dir D] [--json]',
    summary: "Show each node's kubelet (runner) and its restarts, sshd (with --ssh), containers and, on masters, etcd health. Exit 0 when healthy, 1 otherwise.",
    options: COMMON,
    help: COMMON_HELP,
    positionals: [0, 0],
    async run(values) {
      const status = await sandboxStatus({ dir: dirOf(values) });
      out(values.json ? JSON.stringify(status, null, 2) + '\n' : describeStatus(status));
      return status.healthy ? 0 : 1;
    },
  },
  snapshot: {
    usage: 'drbook sandbox snapshot FILE [--node NAME] [--dir D] [--json]',
    summary: 'Save an etcd snapshot of the running sandbox to FILE (etcdctl snapshot save, checked with snapshot status).',
    options: { ...COMMON, node: { type: 'string' } },
    help: [['--node NAME', 'The node whose etcd to snapshot (default node1).'], ...COMMON_HELP],
    positionals: [1, 1],
    async run(values, positionals) {
      const snapshot = await saveSandboxSnapshot({ dir: dirOf(values), file: positionals[0]!, node: typeof values.node === 'string' ? values.node : undefined });
      out(
        values.json
          ? JSON.stringify(snapshot, null, 2) + '\n'
          : `snapshot ${snapshot.file}: revision ${snapshot.revision}, ${snapshot.totalKeys} keys, ${snapshot.size} bytes, sha256 ${snapshot.sha256}\n`,
      );
      return 0;
    },
  },
} satisfies Record<string, Subcommand>;

/** The subcommands as the command table takes them: `drbook sandbox up` etc. */
export const SANDBOX_COMMANDS: Record<keyof typeof SUBCOMMANDS, CommandModule> = Object.fromEntries(
  Object.entries(SUBCOMMANDS).map(([name, sub]) => [
    name,
    {
      spec: { name: `sandbox ${name}`, usage: sub.usage, summary: sub.summary, options: sub.options, optionHelp: sub.help, positionals: sub.positionals },
      // The sandbox's own errors become the DrbookErrors the one error path prints (no stack, exit per kind).
      run: ({ values, positionals }: ParsedArgs) => sub.run(values, positionals).catch(rethrowAsDrbookError),
    },
  ]),
) as Record<keyof typeof SUBCOMMANDS, CommandModule>;
