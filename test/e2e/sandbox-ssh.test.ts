// `drbook sandbox up --ssh` through the real CLI, as an operator would use it: the
// printed ssh command logs in to each node (real OpenSSH client, strict known_hosts),
// `status` shows every sshd, `down` leaves no process alive — also after `up` itself was
// killed half-way. `rehearse --nodes 3` of the multi-master runbook goes over SSH, one
// connection per node. Addresses 127.0.56.x are used by no other test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { rehearsalTransport } from '../../src/rehearsal/rehearse.js';
import { readSandboxInfo, sandboxDown } from '@drbook/sandbox';
import { isProcessAlive } from '@drbook/system';
import { REPO, runCli, startCli, waitForOutput } from './support/cli.js';

const PREFIX = '127.0.56.';

async function sandboxDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-sshsbx-'));
  const dir = join(base, 'sbx');
  t.after(async () => {
    // Cleanup: the test may have taken the sandbox down already.
    await sandboxDown({ dir }).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
  });
  return dir;
}

test('sandbox up --nodes 3 --ssh prints a working ssh command per node; status shows the sshds; down stops them', async (t) => {
  const dir = await sandboxDir(t);
  const up = await runCli(['sandbox', 'up', '--nodes', '3', '--ssh', '--ip-prefix', PREFIX, '--dir', dir]);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  const printed = /^ssh: +(ssh .* -p (\d+) (\S+)@127\.0\.56\.11)$/m.exec(up.stdout);
  assert.ok(printed, `an ssh command line in:\n${up.stdout}`);
  const info = (await readSandboxInfo(dir))!;
  const every = [...info.nodes, ...info.workers!];
  assert.deepEqual(
    info.workers!.map((n) => n.ip),
    ['127.0.56.21', '127.0.56.22'],
    "the seeded cluster's two workers, each its own node",
  );
  const pids = [...info.pids, ...every.map((n) => n.sshd!.pid!)];

  // The printed command, as printed (only the node's address changes), runs a command on each node, workers too.
  for (const node of every) {
    const folder = info.nodes.includes(node as (typeof info.nodes)[number]) ? 'pki/etcd' : 'pki';
    const command: string = `${printed[1]!.replace('@127.0.56.11', `@${node.ip}`)} -o BatchMode=yes ls ${node.root}/etc/kubernetes/${folder}`;
    const result: { exitCode?: number; stdout: string; stderr: string } = await execa('sh', ['-c', command], { reject: false });
    assert.equal(result.exitCode, 0, `${command}\n${result.stderr}`);
    assert.match(result.stdout, /^ca\.crt$/m);
  }

  const status = await runCli(['sandbox', 'status', '--dir', dir, '--json']);
  assert.equal(status.code, 0, status.stderr);
  const nodes = (JSON.parse(status.stdout) as { nodes: Array<{ sshd: { address: string; port: number; pid: number; alive: boolean } }> }).nodes;
  assert.deepEqual(
    nodes.map((n) => `${n.sshd.address}:${n.sshd.port} ${n.sshd.alive}`),
    every.map((n) => `${n.ip}:${printed[2]} true`),
  );
  const human = await runCli(['sandbox', 'status', '--dir', dir]);
  assert.match(human.stdout, new RegExp(`node2 127\\.0\\.56\\.12 \\(master\\): kubelet pid \\d+; sshd 127\\.0\\.56\\.12:${printed[2]} pid ${info.nodes[1]!.sshd!.pid}`));
  assert.match(human.stdout, new RegExp(`worker1 127\\.0\\.56\\.21 \\(worker\\): kubelet pid \\d+; sshd 127\\.0\\.56\\.21:${printed[2]} pid ${info.workers![0]!.sshd!.pid}`));

  const down = await runCli(['sandbox', 'down', '--dir', dir, '--json']);
  assert.equal(down.code, 0, down.stderr);
  for (const pid of pids) assert.equal(isProcessAlive(pid), false, `pid ${pid} is gone`);
  assert.equal(existsSync(dir), false);
});

test('an `up --ssh` killed half-way is cleaned by the next down', async (t) => {
  const dir = await sandboxDir(t);
  const up = startCli(['sandbox', 'up', '--nodes', '3', '--ssh', '--ip-prefix', PREFIX, '--dir', dir]);
  // Killed once every runner and sshd has started and been recorded (sandbox.json gets the
  // sshd PIDs when all of them listen, just before this line), before etcd is ready.
  await waitForOutput(up.output, (text) => /waiting for etcd on node1/.test(text) || /^error/m.test(text), 60_000);
  up.child.kill('SIGKILL');
  await up.done;
  const info = (await readSandboxInfo(dir))!;
  assert.equal(info.status, 'creating', 'up was stopped before it finished');
  const pids = [...info.pids, ...[...info.nodes, ...info.workers!].map((n) => n.sshd?.pid ?? 0)];
  assert.equal(pids.filter((pid) => isProcessAlive(pid)).length, 10, 'five runners (three masters, two workers) and five sshds outlived the killed up');

  const down = await runCli(['sandbox', 'down', '--dir', dir]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /stopped 5 runner\(s\), \d+ sshd process\(es\)/);
  for (const pid of pids) assert.equal(isProcessAlive(pid), false, `pid ${pid} is gone`);
  assert.equal(existsSync(dir), false);
});

test('rehearse --nodes 3 of the multi-master runbook goes over SSH (one connection per node) and passes', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'drbook-e2e-sshreh-'));
  const source = join(base, 'source');
  const rehearsal = join(base, 'rehearsal');
  t.after(async () => {
    // Cleanup: either sandbox may be down already, or never made it up.
    for (const dir of [source, rehearsal]) await sandboxDown({ dir }).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
  });
  const env = { KUBECACHEDIR: join(base, 'kube-cache') };
  assert.equal((await runCli(['sandbox', 'up', '--nodes', '3', '--ip-prefix', PREFIX, '--dir', source])).code, 0);
  const snapshot = join(base, 'etcd.db');
  const saved = await runCli(['sandbox', 'snapshot', snapshot, '--dir', source]);
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal((await runCli(['sandbox', 'down', '--dir', source])).code, 0);

  const result = await runCli(
    [
      'rehearse',
      join(REPO, 'runbooks/etcd-restore-ha.yaml'),
      '--snapshot',
      snapshot,
      '--nodes',
      '3',
      '--ip-prefix',
      PREFIX,
      '--dir',
      rehearsal,
      '--state-dir',
      join(base, 'state'),
      '--keep',
      '-o',
      'plain',
    ],
    { env },
  );
  const out = result.stdout + result.stderr;
  assert.equal(result.code, 0, out);
  assert.match(out, /nodes reached over SSH, one sshd per node/);
  assert.match(out, /rehearsal PASSED \(over SSH\)/);
  const info = (await readSandboxInfo(rehearsal))!;
  assert.equal(info.ssh, true);
  for (const node of info.nodes) {
    const log = await readFile(node.sshd!.logFile, 'utf8');
    assert.equal([...log.matchAll(/Accepted publickey for /g)].length, 1, `${node.name}: one SSH connection for the whole run`);
  }
  const pids = [...info.pids, ...[...info.nodes, ...info.workers!].map((n) => n.sshd!.pid!)];
  assert.equal((await runCli(['sandbox', 'down', '--dir', rehearsal])).code, 0);
  for (const pid of pids) assert.equal(isProcessAlive(pid), false, `pid ${pid} is gone`);

  // Over SSH by default when several masters are rehearsed; --local / --ssh decide otherwise.
  assert.deepEqual([rehearsalTransport(1), rehearsalTransport(3), rehearsalTransport(3, 'local'), rehearsalTransport(1, 'ssh')], ['local', 'ssh', 'local', 'ssh']);
  const contradiction = await runCli(['rehearse', join(REPO, 'runbooks/etcd-restore-ha.yaml'), '--snapshot', snapshot, '--nodes', '3', '--ssh', '--local']);
  assert.equal(contradiction.code, 2);
  assert.match(contradiction.stderr, /--ssh and --local contradict each other/);
  const help = await runCli(['rehearse', '--help']);
  assert.match(help.stdout, /--local +Reach the nodes as local hosts/);
});
