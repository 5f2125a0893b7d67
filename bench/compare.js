#!/usr/bin/env node
// drbook against the floor (and Ansible), side by side in one run, on ONE SSH sandbox
// (`npm run bench -- --runs N`, after `npm run build`; run it under /tmp/drbook-tests.lock).
//
// Alternates, run after run: drbook through its CLI (`node bin/drbook.js run
// runbooks/etcd-restore-ha.yaml -i <inventory> -p snapshot=... --yes -o json`: CLI start-up
// counts), bench/floor/restore-ha.sh (bash over OpenSSH ControlMaster) and, when
// `ansible-playbook` is installed, bench/ansible/restore-ha.yml. Before each run the
// disaster: a key written after the snapshot (/bench/after-snapshot). After each run the
// restore is verified through etcdctl, not by the tool's exit code: every endpoint
// healthy, one cluster id that is NEW, the snapshot's key /bench/marker back, the later key
// gone, the revision at least the snapshot's, every member's data dir swapped (a new
// <dataDir>-old-* beside it). Prints per tool min/median/max wall time, the medians'
// ratios, a per-phase table, remote commands (sshd's "Starting session" lines: the sandbox's
// sshd runs with LogLevel VERBOSE, one line per exec/sftp session, ControlMaster sessions
// included), CPU seconds on the masters (each node's sshd process tree from /proc:
// utime+stime+cutime+cstime of the listener and its live descendants, before/after; the
// etcd/API server processes are the runner's, not counted) and the load average.
//
// Options: --runs N (default 3), --ip-prefix P (default 127.0.9.), --masters N (default 3),
// --fill-mb M (fill etcd with ~M MB of values before the snapshot; cost growth), --tools
// drbook,floor,ansible, --json, --keep.

import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, readFile, writeFile, readdir } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { sandboxUp, sandboxDown, saveSandboxSnapshot, readSandboxInfo } = await import('@drbook/sandbox');

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const runs = Number(opt('--runs', 3)) || 3;
const ipPrefix = opt('--ip-prefix', '127.0.9.');
const masters = Number(opt('--masters', 3)) || 3;
const fillMb = Number(opt('--fill-mb', 0)) || 0;
const asJson = args.includes('--json');
const keep = args.includes('--keep');
const say = (text) => process.stderr.write(`bench: ${text}\n`);

/** Runs a command; resolves { code, stdout, stderr, lines: [{ at, text }] } (stdout lines with arrival time). */
function runCommand(command, argv, options = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(command, argv, { cwd: REPO, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (chunk) => {
      const at = performance.now();
      stdout += chunk;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      for (const text of parts) lines.push({ at, text });
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolveRun({ code, stdout, stderr, lines }));
  });
}

// --- the sandbox's side: etcdctl, sshd logs, CPU ---------------------------------------

function etcdctlArgs(info, node) {
  const pki = join(node.root, 'etc/kubernetes/pki/etcd');
  const endpoints = info.nodes.map((n) => `https://${n.ip}:2379`).join(',');
  return [`--endpoints=${endpoints}`, `--cacert=${pki}/ca.crt`, `--cert=${pki}/healthcheck-client.crt`, `--key=${pki}/healthcheck-client.key`, '--command-timeout=10s'];
}
async function etcdctl(info, ...rest) {
  const first = info.nodes[0];
  const r = await runCommand('etcdctl', [...etcdctlArgs(info, first), ...rest], { env: { ETCDCTL_API: '3' } });
  if (r.code !== 0) throw new Error(`etcdctl ${rest.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function sessionsOf(info) {
  let total = 0;
  for (const node of info.nodes) {
    const log = await readFile(node.sshd.logFile, 'utf8').catch(() => '');
    total += (log.match(/Starting session:/g) ?? []).length;
  }
  return total;
}

async function cpuTicksOfTree(pid) {
  // A process that ended between listing and reading: its CPU is in its parent's cutime once reaped.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  for (const child of children.split(' ').filter(Boolean)) ticks += await cpuTicksOfTree(Number(child));
  return ticks;
}
async function mastersCpuSeconds(info) {
  let ticks = 0;
  for (const node of info.nodes) ticks += await cpuTicksOfTree(node.sshd.pid);
  return ticks / 100; // USER_HZ
}
/** CPU of this process's waited-for children (the tool run on the operator's side). */
async function localChildCpuSeconds() {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function oldDirsOf(info) {
  const all = [];
  for (const node of info.nodes) {
    const parent = join(node.root, 'var/lib');
    for (const name of await readdir(parent)) if (name.startsWith('etcd-old-')) all.push(join(parent, name));
  }
  return all;
}

/** The disaster: a change after the snapshot. Returns the cluster id before the run. */
async function makeDisaster(info, run) {
  await etcdctl(info, 'put', '/bench/after-snapshot', `run ${run}`);
  return JSON.parse(await etcdctl(info, 'endpoint', 'status', '-w', 'json'))[0].Status.header.cluster_id;
}

/** Verifies the restore through etcdctl; throws naming what is wrong. */
async function verifyRestore(info, snapshot, clusterBefore, oldBefore) {
  await etcdctl(info, 'endpoint', 'health');
  const status = JSON.parse(await etcdctl(info, 'endpoint', 'status', '-w', 'json'));
  const ids = new Set(status.map((s) => s.Status.header.cluster_id));
  if (status.length !== info.nodes.length) throw new Error(`${status.length} endpoints answered, not ${info.nodes.length}`);
  if (ids.size !== 1) throw new Error(`the members disagree on the cluster id: ${[...ids].join(', ')}`);
  if (ids.has(clusterBefore)) throw new Error(`the cluster id ${clusterBefore} did not change: not restored`);
  const revision = Math.min(...status.map((s) => s.Status.header.revision));
  if (revision < snapshot.revision) throw new Error(`revision ${revision} below the snapshot's ${snapshot.revision}`);
  const members = JSON.parse(await etcdctl(info, 'member', 'list', '-w', 'json')).members;
  if (members.length !== info.nodes.length) throw new Error(`${members.length} members, not ${info.nodes.length}`);
  if ((await etcdctl(info, 'get', '/bench/marker', '--print-value-only')).trim() !== 'in the snapshot') throw new Error('/bench/marker of the snapshot is missing');
  if ((await etcdctl(info, 'get', '/bench/after-snapshot')).trim() !== '') throw new Error('/bench/after-snapshot, written after the snapshot, is still there');
  const oldNow = await oldDirsOf(info);
  const fresh = oldNow.filter((d) => !oldBefore.includes(d));
  for (const node of info.nodes) if (!fresh.some((d) => d.startsWith(node.root + '/'))) throw new Error(`${node.name}: no new etcd-old-* dir: its data dir was not swapped`);
  return { revision };
}

// --- the tools -----------------------------------------------------------------------

const DRBOOK_PHASES = {
  // drbook's own: the floor and Ansible only test that the snapshot is there (in their
  // "outside the steps"); drbook hashes it on every master and checks the membership.
  preflight: 'preflight',
  'stop-control-plane': 'stop',
  restore: 'restore+swap',
  'swap-data-dir': 'restore+swap',
  'prepare-data-dir': 'restore+swap',
  quota: 'restore+swap',
  'start-etcd': 'start etcd + quorum',
  'wait-quorum': 'start etcd + quorum',
  'start-control-plane': 'start the rest',
};
const PHASES = ['preflight', 'stop', 'restore+swap', 'start etcd + quorum', 'start the rest'];

async function runDrbook(ctx) {
  const started = performance.now();
  const r = await runCommand('node', [
    'bin/drbook.js',
    'run',
    'runbooks/etcd-restore-ha.yaml',
    '-i',
    ctx.info.inventory,
    '-p',
    `snapshot=${ctx.snapshot.file}`,
    '--yes',
    '-o',
    'json',
    '--state-dir',
    join(ctx.base, 'state'),
  ]);
  const wallMs = performance.now() - started;
  if (r.code !== 0) throw new Error(`drbook exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-800)}`);
  const phases = {};
  /** Every step's time (ms), and the time before the first step began: where "outside the steps" goes. */
  const steps = {};
  const open = {};
  let lastStepEnd;
  for (const { at, text } of r.lines) {
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      continue;
    }
    if (event.type === 'step.started') {
      open[event.stepId] = at;
      steps['(before the first step)'] ??= at - started;
    }
    if (event.type === 'step.finished' && open[event.stepId] !== undefined) {
      steps[event.stepId] = at - open[event.stepId];
      lastStepEnd = at;
      const phase = DRBOOK_PHASES[event.stepId];
      if (phase) phases[phase] = (phases[phase] ?? 0) + (at - open[event.stepId]);
    }
  }
  if (lastStepEnd !== undefined) steps['(after the last step)'] = wallMs - (lastStepEnd - started);
  return { wallMs, phases, steps };
}

async function runFloor(ctx, run) {
  const started = performance.now();
  const r = await runCommand('bash', [join(REPO, 'bench/floor/restore-ha.sh'), ctx.hostsFile, ctx.snapshot.file], { env: { RUN_ID: `floor${run}` } });
  const wallMs = performance.now() - started;
  if (r.code !== 0) throw new Error(`the floor exited ${r.code}: ${r.stderr.trim().slice(-800)}`);
  const names = { stop: 'stop', restore: 'restore+swap', 'start-etcd': 'start etcd + quorum', 'start-rest': 'start the rest' };
  const phases = {};
  for (const m of r.stdout.matchAll(/^phase (\S+) (\d+)$/gm)) phases[names[m[1]]] = Number(m[2]);
  return { wallMs, phases };
}

async function runAnsible(ctx, run) {
  const started = performance.now();
  const r = await runCommand(
    'ansible-playbook',
    ['-i', ctx.ansibleInventory, '-f', String(masters), '-e', `snapshot=${ctx.snapshot.file}`, '-e', `run_id=ansible${run}`, join(REPO, 'bench/ansible/restore-ha.yml')],
    {
      env: {
        ANSIBLE_PIPELINING: 'True',
        ANSIBLE_SSH_ARGS: `-o ControlMaster=auto -o ControlPersist=60s -o IdentitiesOnly=yes -o UserKnownHostsFile=${ctx.knownHostsFile} -o StrictHostKeyChecking=yes`,
        ANSIBLE_SSH_CONTROL_PATH: `${join(ctx.base, 'ansible-cp')}/%%h-%%p`,
        ANSIBLE_SSH_CONTROL_PATH_DIR: join(ctx.base, 'ansible-cp'),
        ANSIBLE_HOST_KEY_CHECKING: 'True',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_LOCAL_TEMP: join(ctx.base, 'ansible-tmp'),
      },
    },
  );
  const wallMs = performance.now() - started;
  if (r.code !== 0) throw new Error(`ansible-playbook exited ${r.code}: ${r.stdout.trim().slice(-1500)}`);
  const phases = {};
  const names = { stop: 'stop', restore: 'restore+swap', 'start-etcd': 'start etcd + quorum', 'start-rest': 'start the rest' };
  let current;
  const close = (at) => current && (phases[current.phase] = at - current.at);
  for (const { at, text } of r.lines) {
    const m = /^TASK \[(.*)\]/.exec(text) ?? /^PLAY RECAP/.exec(text);
    if (!m) continue;
    close(at);
    const p = m[1] && /^phase (\S+):/.exec(m[1]);
    current = p ? { phase: names[p[1]], at } : undefined;
  }
  // The ControlPersist masters: closed so that their sshd side is reaped before the CPU reading.
  for (const h of ctx.hosts) await runCommand('ssh', ['-o', `ControlPath=${join(ctx.base, 'ansible-cp')}/%h-%p`, '-p', String(h.port), '-O', 'exit', h.address]);
  await new Promise((r2) => setTimeout(r2, 300));
  return { wallMs, phases };
}

const TOOLS = { drbook: runDrbook, floor: runFloor, ansible: runAnsible };

// --- set-up, loop, report ---------------------------------------------------------------

async function hasCommand(name) {
  return (await runCommand('sh', ['-c', `command -v ${name}`])).code === 0;
}

async function fillEtcd(info, mb) {
  const { openEtcdClient } = await import('@drbook/sandbox');
  const node = info.nodes[0];
  const pki = join(node.root, 'etc/kubernetes/pki/etcd');
  const client = openEtcdClient({ endpoints: [`https://${node.ip}:2379`], caFile: `${pki}/ca.crt`, certFile: `${pki}/healthcheck-client.crt`, keyFile: `${pki}/healthcheck-client.key` });
  const value = Buffer.alloc(512 * 1024, 'x').toString();
  try {
    for (let i = 0; i < mb * 2; i++) await client.put(`/bench/fill/${String(i).padStart(6, '0')}`).value(value);
  } finally {
    client.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const base = await mkdtemp(join(tmpdir(), 'drbook-bench-'));
const dir = join(base, 'sbx');
let up = false;
try {
  const wanted = opt('--tools', 'drbook,floor,ansible').split(',');
  const tools = [];
  for (const t of wanted) {
    if (!TOOLS[t]) throw new Error(`--tools: unknown tool ${t} (drbook, floor, ansible)`);
    if (t === 'ansible' && !(await hasCommand('ansible-playbook'))) say('ansible-playbook is not installed: Ansible skipped (apt-get install ansible)');
    else tools.push(t);
  }
  say(`sandbox up --nodes ${masters} --ssh in ${dir} (${ipPrefix}11-${10 + masters})`);
  up = true;
  await sandboxUp({ dir, nodes: masters, ssh: true, ipPrefix });
  const info = await readSandboxInfo(dir);
  await etcdctl(info, 'put', '/bench/marker', 'in the snapshot');
  if (fillMb > 0) {
    say(`filling etcd with ~${fillMb} MB of values`);
    await fillEtcd(info, fillMb);
  }
  const snapshot = await saveSandboxSnapshot({ dir, file: join(base, 'snapshot.db') });
  say(`snapshot ${snapshot.file}: revision ${snapshot.revision}, ${snapshot.size} bytes`);

  const inventory = parse(await readFile(info.inventory, 'utf8'));
  const names = inventory.groups.masters.hosts;
  const hostsFile = join(base, 'floor-hosts.tsv');
  await writeFile(
    hostsFile,
    names
      .map((n) => {
        const h = inventory.hosts[n];
        const v = h.vars;
        return [n, h.address, h.port, h.user, h.identityFile, h.knownHostsFile, v.manifestsDir, v.stashDir, v.dataDir, v.crictl, v.etcdPkiDir, v.pkiDir].join('\t');
      })
      .join('\n') + '\n',
  );
  const ansibleInventory = join(base, 'ansible-hosts.yml');
  await writeFile(
    ansibleInventory,
    JSON.stringify({
      masters: {
        hosts: Object.fromEntries(
          names.map((n) => {
            const h = inventory.hosts[n];
            return [n, { ansible_host: h.address, ansible_port: h.port, ansible_user: h.user, ansible_ssh_private_key_file: h.identityFile, address: h.address, ...h.vars }];
          }),
        ),
      },
    }),
  );
  await mkdir(join(base, 'ansible-cp'), { recursive: true });
  const ctx = { base, info, snapshot, hostsFile, ansibleInventory, hosts: names.map((n) => inventory.hosts[n]), knownHostsFile: inventory.hosts[names[0]].knownHostsFile };
  const results = Object.fromEntries(tools.map((t) => [t, []]));
  const loads = [];
  for (let run = 1; run <= runs; run++) {
    for (const tool of tools) {
      const clusterBefore = await makeDisaster(info, run);
      const oldBefore = await oldDirsOf(info);
      const [sessions0, cpu0, local0] = [await sessionsOf(info), await mastersCpuSeconds(info), await localChildCpuSeconds()];
      say(`run ${run}/${runs}: ${tool}`);
      const r = await TOOLS[tool](ctx, run);
      const [sessions1, cpu1, local1] = [await sessionsOf(info), await mastersCpuSeconds(info), await localChildCpuSeconds()];
      await verifyRestore(info, snapshot, clusterBefore, oldBefore);
      const phased = PHASES.reduce((s, p) => s + (r.phases[p] ?? 0), 0);
      r.phases['outside the steps'] = r.wallMs - phased;
      results[tool].push({ ...r, commands: sessions1 - sessions0, mastersCpuS: cpu1 - cpu0, localCpuS: local1 - local0, load1: os.loadavg()[0] });
      loads.push(os.loadavg()[0]);
      for (const d of await oldDirsOf(info)) await rm(d, { recursive: true, force: true }); // room for the next run; verified above
    }
  }

  const summary = Object.fromEntries(
    tools.map((t) => {
      const rs = results[t];
      const walls = rs.map((r) => r.wallMs);
      const phases = Object.fromEntries([...PHASES, 'outside the steps'].map((p) => [p, median(rs.map((r) => r.phases[p] ?? 0))]));
      return [
        t,
        {
          minMs: Math.min(...walls),
          medianMs: median(walls),
          maxMs: Math.max(...walls),
          phases,
          commands: median(rs.map((r) => r.commands)),
          mastersCpuS: median(rs.map((r) => r.mastersCpuS)),
          localCpuS: median(rs.map((r) => r.localCpuS)),
        },
      ];
    }),
  );
  const ratio = (a, b) => (summary[a] && summary[b] ? summary[a].medianMs / summary[b].medianMs : undefined);
  const report = {
    masters,
    snapshotBytes: snapshot.size,
    runs,
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    loadDuring: { min: Math.min(...loads), max: Math.max(...loads) },
    summary,
    ratios: { 'drbook/floor': ratio('drbook', 'floor'), 'drbook/ansible': ratio('drbook', 'ansible') },
    results,
  };
  if (asJson) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    const s = (ms) => (ms / 1000).toFixed(2).padStart(7);
    console.log(`HA restore, ${masters} masters over SSH, snapshot ${(snapshot.size / 1e6).toFixed(1)} MB, ${runs} run(s) per tool, every restore verified`);
    console.log(
      `machine: ${os.cpus().length} CPU(s), load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (1-min load during the runs ${report.loadDuring.min.toFixed(2)}–${report.loadDuring.max.toFixed(2)})`,
    );
    console.log(`\n${'tool'.padEnd(8)}    min s  median s   max s  commands  CPU-s masters  CPU-s local`);
    for (const t of tools) {
      const x = summary[t];
      console.log(
        `${t.padEnd(8)}  ${s(x.minMs)}  ${s(x.medianMs)}  ${s(x.maxMs)}  ${String(x.commands).padStart(8)}  ${x.mastersCpuS.toFixed(2).padStart(13)}  ${x.localCpuS.toFixed(2).padStart(11)}`,
      );
    }
    for (const [k, v] of Object.entries(report.ratios)) if (v !== undefined) console.log(`${k} (medians): ${v.toFixed(2)}`);
    console.log(`\nper phase, median s: ${tools.map((t) => t.padStart(8)).join('')}`);
    for (const p of [...PHASES, 'outside the steps']) console.log(`  ${p.padEnd(20)}${tools.map((t) => s(summary[t].phases[p]).padStart(8)).join('')}`);
    if (results.drbook?.[0]?.steps) {
      console.log(`\ndrbook, every step, median s:`);
      for (const step of Object.keys(results.drbook[0].steps)) console.log(`  ${step.padEnd(26)}${s(median(results.drbook.map((r) => r.steps[step] ?? 0)))}`);
    }
  }
} finally {
  if (keep && up) say(`sandbox kept in ${dir}: drbook sandbox down --dir ${dir}`);
  else if (up) {
    await sandboxDown({ dir }).catch((error) => say(`sandbox down failed: ${error.message}`));
    await rm(base, { recursive: true, force: true });
  }
}
