#!/usr/bin/env node
// Cost growth of the HA restore (`npm run bench:growth`, after `npm run build`): the same
// side-by-side benchmark as bench/compare.js, once per shape, each on its own fresh
// sandbox: 1, 3 and 5 masters with a small snapshot, then 3 masters with etcd filled to
// ~10 MB, ~100 MB and ~1 GB before the snapshot. Prints, per shape, each tool's wall
// time, its growth against the first shape of its series (1 master; the smallest size),
// and the phase that took longest; `--json` gives compare.js's reports as they came.
//
// Options: --tools (default drbook,floor: Ansible's per-task cost hides the growth and
// triples the time), --runs N per shape (default 1), --ip-prefix P (default 127.0.172.),
// --masters 1,3,5, --sizes 10,100,1000 (MB at 3 masters; 0 = the small snapshot only),
// --json. A 1 GB shape needs ~4 GB free in the temp dir (the snapshot and a restored and
// an old data dir per master).

import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const list = (text) => text.split(',').filter(Boolean).map(Number);
const tools = opt('--tools', 'drbook,floor');
const runs = opt('--runs', '1');
const ipPrefix = opt('--ip-prefix', '127.0.172.');
const masterCounts = list(opt('--masters', '1,3,5'));
const sizes = list(opt('--sizes', '10,100,1000'));
const say = (text) => process.stderr.write(`growth: ${text}\n`);

/** One compare.js run; resolves its JSON report. */
function compare(extra) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [resolve(REPO, 'bench/compare.js'), '--json', '--tools', tools, '--runs', runs, '--ip-prefix', ipPrefix, ...extra], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('close', (code) => (code === 0 ? resolveRun(JSON.parse(out)) : reject(new Error(`bench/compare.js ${extra.join(' ')} exited with ${code}`))));
  });
}

const shapes = [
  ...masterCounts.map((m) => ({ series: 'masters', label: `${m} master${m > 1 ? 's' : ''}`, extra: ['--masters', String(m)] })),
  ...sizes.map((mb) => ({ series: 'size', label: `3 masters, ~${mb} MB`, extra: ['--masters', '3', '--fill-mb', String(mb)] })),
];
const reports = [];
for (const shape of shapes) {
  say(`${shape.label}: bench/compare.js ${shape.extra.join(' ')}`);
  reports.push({ ...shape, report: await compare(shape.extra) });
}

if (args.includes('--json')) {
  process.stdout.write(JSON.stringify(reports, null, 2) + '\n');
} else {
  const names = tools.split(',').filter((t) => reports[0]?.report.summary[t]);
  const s = (ms) => (ms / 1000).toFixed(1);
  console.log(`HA restore cost growth, ${runs} run(s) per tool and shape (medians), every restore verified`);
  for (const series of ['masters', 'size']) {
    const rows = reports.filter((r) => r.series === series);
    if (rows.length === 0) continue;
    console.log(`\n${series === 'masters' ? 'by masters' : 'by snapshot size'}:`);
    console.log(`  ${'shape'.padEnd(22)}${'snapshot'.padStart(10)}${names.map((t) => `${t} s`.padStart(11) + `× first`.padStart(9)).join('')}  longest phase (drbook)        load`);
    for (const { label, report } of rows) {
      const first = rows[0].report;
      const cells = names.map((t) => s(report.summary[t].medianMs).padStart(11) + (report.summary[t].medianMs / first.summary[t].medianMs).toFixed(2).padStart(9)).join('');
      const phases = Object.entries(report.summary[names[0]].phases).sort((a, b) => b[1] - a[1]);
      const [phase, ms] = phases[0];
      const load = `${report.loadDuring.min.toFixed(1)}–${report.loadDuring.max.toFixed(1)}`;
      console.log(`  ${label.padEnd(22)}${`${(report.snapshotBytes / 1e6).toFixed(1)} MB`.padStart(10)}${cells}  ${`${phase} ${s(ms)} s`.padEnd(30)}${load}`);
    }
  }
  console.log(`\nper phase, drbook, median s:`);
  const phaseNames = Object.keys(reports[0].report.summary[names[0]].phases);
  console.log(`  ${'shape'.padEnd(22)}${phaseNames.map((p) => p.slice(0, 12).padStart(13)).join('')}`);
  for (const { label, report } of reports) console.log(`  ${label.padEnd(22)}${phaseNames.map((p) => s(report.summary[names[0]].phases[p]).padStart(13)).join('')}`);
}
