// `drbook demo`: watch a whole disaster and its recovery on a local sandbox, with the
// real kubectl showing the cluster before, after the disaster, and after the restore.
// The restore is runbooks/etcd-restore.yaml, exactly as an operator would run it.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { EventBus } from '../core/events.js';
import { loadRunbook } from '../runbook/load.js';
import { builtinActions } from '../actions/registry.js';
import { saveSandboxSnapshot, probeApiServerReady, waitForProbe, sandboxDown, sandboxUp } from '@drbook/sandbox';
import { destroyEtcdData } from './disaster.js';
import { rethrowAsDrbookError } from './sandbox-errors.js';
import { runOnSandbox } from './sandbox-run.js';
import { formatTimings, type RunTimings } from './timings.js';

export interface DemoRequest {
  dir: string;
  ipPrefix?: string;
  keep: boolean;
  stateDir: string;
  bus: EventBus;
  /** Narration and kubectl output (stdout). */
  print: (text: string) => void;
  interrupt: AbortSignal;
}

export interface DemoOutcome {
  exitCode: number;
  runId?: string;
  timings?: RunTimings;
  before: string;
  afterDisaster: string;
  afterRestore: string;
}

/** runbooks/ of the drbook package, found from this file (dist/src/rehearsal or src/rehearsal). */
const RUNBOOKS_DIR = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../runbooks/' : '../../../runbooks/', import.meta.url));

export async function runDemo(request: DemoRequest): Promise<DemoOutcome> {
  const { print } = request;
  const runbook = await loadRunbook(join(RUNBOOKS_DIR, 'etcd-restore.yaml'), builtinActions);
  const chapter = (title: string) => print(`\n━━━ ${title} ${'━'.repeat(Math.max(3, 70 - title.length))}\n`);

  chapter('1. A control plane built the way kubeadm builds it (sandbox)');
  const sandbox = await sandboxUp({ dir: request.dir, ipPrefix: request.ipPrefix, onProgress: (m) => print(`  ${m}\n`) }).catch(rethrowAsDrbookError);
  const outcome: DemoOutcome = { exitCode: 1, before: '', afterDisaster: '', afterRestore: '' };
  // The runbook's k8s.nodes-ready runs kubectl as well, which would cache the sandbox's
  // API discovery in ~/.kube/cache: the demo promises to touch nothing outside its folder.
  // kubectl reads KUBECACHEDIR for its default --cache-dir, and local commands inherit it.
  const cacheDir = join(request.dir, '.kube-cache');
  const callerCacheDir = process.env.KUBECACHEDIR;
  process.env.KUBECACHEDIR = cacheDir;
  try {
    const node = sandbox.nodes[0]!;
    const kubectl = async (...args: string[]) => {
      const result = await execa('kubectl', ['--kubeconfig', node.kubeconfig, '--cache-dir', cacheDir, ...args], { reject: false });
      const text = [`$ kubectl ${args.join(' ')}`, result.stdout, result.stderr].filter(Boolean).join('\n');
      print(`${text.replace(/^/gm, '  ')}\n\n`);
      return result.stdout + result.stderr;
    };
    outcome.before = (await kubectl('get', 'nodes')) + (await kubectl('get', 'pods', '-A'));

    chapter('2. A backup: etcdctl snapshot save');
    const snapshot = await saveSandboxSnapshot({ dir: request.dir, file: join(request.dir, 'backup', 'etcd-snapshot.db') }).catch(rethrowAsDrbookError);
    print(`  ${snapshot.file}: revision ${snapshot.revision}, ${snapshot.size} bytes, sha256 ${snapshot.sha256.slice(0, 16)}…\n`);

    chapter('3. Disaster: etcd loses its data');
    await destroyEtcdData(node);
    print('  etcd was stopped, its data dir emptied, and the kubelet started it again: an empty cluster.\n');
    outcome.afterDisaster = await kubectl('get', 'nodes');

    chapter('4. Restore: drbook run runbooks/etcd-restore.yaml');
    const { outcome: run, timings } = await runOnSandbox({ runbook, sandbox, params: { snapshot: snapshot.file }, stateDir: request.stateDir, bus: request.bus, interrupt: request.interrupt });
    outcome.runId = run.runId;
    outcome.timings = timings;
    outcome.exitCode = run.exitCode;

    chapter(`5. After the restore (${run.state})`);
    // A run that failed and rolled back may have left the API server starting again: let it answer first.
    await waitForProbe(() => probeApiServerReady(node), 30_000);
    outcome.afterRestore = (await kubectl('get', 'nodes')) + (await kubectl('get', 'pods', '-A'));
    print(`${formatTimings(timings)}\n`);
    const oldDir = `${node.name}/var/lib/etcd-old-${run.runId}`;
    print(request.keep ? `\n  The restore kept the old data dir: ${join(request.dir, oldDir)}\n` : `\n  The restore kept the old data dir (${oldDir}); the sandbox goes now (--keep keeps it).\n`);
    print(`  The run's journal, as a Markdown timeline: drbook report ${run.runId} --state-dir ${request.stateDir}\n`);
    return outcome;
  } finally {
    if (callerCacheDir === undefined) delete process.env.KUBECACHEDIR;
    else process.env.KUBECACHEDIR = callerCacheDir;
    if (request.keep) print(`\n  sandbox kept in ${request.dir}: drbook sandbox down --dir ${request.dir}\n`);
    else await sandboxDown({ dir: request.dir }).catch(rethrowAsDrbookError);
  }
}
