#!/usr/bin/env node
// CLI start-up: wall time per command (N interleaved runs, medians) and the modules each
// loads (an ESM resolve hook plus CommonJS require), with the load average beside the
// figures — on a shared machine a time means something only next to its baseline.
// Usage: node bench/start-time.js [--runs N] [--bin path/to/drbook.js] [--baseline other/bin/drbook.js] [--modules]
// With --baseline, both CLIs run interleaved in the same loop (a before/after in one session).
// Issue 10: first output <= 200 ms, first step <= 500 ms on a quiet machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(import.meta.url), '../..');
const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = argv.indexOf(name);
  return at === -1 ? fallback : argv[at + 1];
};
const runs = Number(flag('--runs', '7'));
const bins = [resolve(flag('--bin', join(repo, 'bin/drbook.js'))), ...(flag('--baseline') ? [resolve(flag('--baseline'))] : [])];
const dir = mkdtempSync(join(tmpdir(), 'drbook-start-'));

// A runbook whose first step is a local no-op: time to the first step's event.
const runbook = join(dir, 'first-step.yaml');
writeFileSync(runbook, `apiVersion: drbook/v1\nkind: Runbook\nmetadata:\n  name: first-step\nsteps:\n  - id: greet\n    name: Say hello\n    run: echo hello\n`);

const COMMANDS = {
  '--help': ['--help'],
  'run --help': ['run', '--help'],
  'validate --help': ['validate', '--help'],
  validate: ['validate', join(repo, 'runbooks/etcd-restore.yaml')],
  'plan (local)': ['plan', runbook, '--state-dir', join(dir, 'state')],
  'run (local, json)': ['run', runbook, '--yes', '--output', 'json', '--state-dir', join(dir, 'state')],
};

/** One run: wall ms to exit, to the first stdout byte, to the first step event (json). */
function once(args, extraNodeArgs = [], bin = bins[0]) {
  return new Promise((done) => {
    const start = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - start) / 1e6;
    const child = spawn(process.execPath, [...extraNodeArgs, bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let firstOut;
    let firstStep;
    let text = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      firstOut ??= ms();
      text += chunk;
      if (firstStep === undefined && /"type":"step\.started"/.test(text)) firstStep = ms();
    });
    child.stderr.on('data', (chunk) => {
      firstOut ??= ms();
      err += chunk;
    });
    child.on('close', (code) => done({ code, wall: ms(), firstOut, firstStep, err }));
  });
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length === 0 ? undefined : s[Math.floor(s.length / 2)];
};
const fmt = (x) => (x === undefined ? '-' : `${x.toFixed(0)} ms`);

/** Every module a command resolves (ESM hook) or requires (CommonJS), counted. */
async function modulesOf(args) {
  const log = join(dir, `modules-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); if (r.url.startsWith('file:')) appendFileSync(process.env.DRBOOK_MODULE_LOG, r.url.slice(7) + '\\n'); return r; }\n`,
  );
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { register, Module } from 'node:module';\nimport { appendFileSync } from 'node:fs';\nregister(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)});\nconst load = Module._load;\nModule._load = function (request, parent, isMain) { const r = load.apply(this, arguments); try { const f = Module._resolveFilename(request, parent, isMain); if (f.startsWith('/')) appendFileSync(process.env.DRBOOK_MODULE_LOG, f + '\\n'); } catch {} return r; };\n`,
  );
  process.env.DRBOOK_MODULE_LOG = log;
  writeFileSync(log, '');
  await once(args, ['--import', join(dir, 'register.mjs')]);
  const files = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
  const packages = {};
  for (const f of files) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
    const key = m ? m[1] : f.includes('/packages/') ? '@drbook (workspace)' : 'drbook';
    packages[key] = (packages[key] ?? 0) + 1;
  }
  return { total: files.length, packages };
}

console.log(
  `node ${process.version}, ${bins.join(' vs ')}, ${runs} interleaved runs per command; load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const results = Object.fromEntries(bins.flatMap((bin, b) => Object.keys(COMMANDS).map((k) => [`${k} @${b}`, []])));
for (let i = 0; i < runs; i++) for (const [name, args] of Object.entries(COMMANDS)) for (const [b, bin] of bins.entries()) results[`${name} @${b}`].push(await once(args, [], bin));
for (const [name, rs] of Object.entries(results)) {
  const codes = [...new Set(rs.map((r) => r.code))].join(',');
  console.log(
    `${name.padEnd(24)} wall ${fmt(median(rs.map((r) => r.wall))).padStart(8)}  first output ${fmt(median(rs.map((r) => r.firstOut))).padStart(8)}  first step ${fmt(median(rs.map((r) => r.firstStep))).padStart(8)}  exit ${codes}${codes === '0' ? '' : `  (${rs[0].err.trim().split('\n')[0]})`}`,
  );
}
console.log(`@0 = ${bins[0]}${bins[1] ? `, @1 = ${bins[1]}` : ''}`);
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
if (argv.includes('--modules')) {
  for (const [name, args] of Object.entries(COMMANDS)) {
    const { total, packages } = await modulesOf(args);
    const top = Object.entries(packages)
      .sort((a, b) => b[1] - a[1])
      .map(([p, n]) => `${p} ${n}`)
      .join(', ');
    console.log(`${name.padEnd(20)} ${String(total).padStart(4)} modules: ${top}`);
  }
}
