#!/usr/bin/env node
// The full fault sweep (test/faults with DRBOOK_FAULTS=full): one test file after the
// other, each its own `node --test` (one sandbox at a time), the figures collected and
// printed at the end. Options:
//   --lock FILE      take `flock FILE` around each file (the machine-wide test lock), so
//                    other users of the loopback addresses wait one file, not the sweep
//   --only WORD      only the files whose name contains WORD (e.g. single, ha, environment, ssh)
//   --pattern TEXT   only the tests whose name matches (node --test-name-pattern)
// e.g. npm run test:faults -- --lock /tmp/drbook-tests.lock --only single
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const lock = option('--lock');
const only = option('--only');
const pattern = option('--pattern');
const dir = 'dist/test/faults';
const files = readdirSync(dir)
  .filter((n) => n.endsWith('.test.js') && (!only || n.includes(only)))
  .sort()
  .map((n) => join(dir, n));
const figures = join(tmpdir(), `drbook-faults-figures-${process.pid}.txt`);
const env = { ...process.env, DRBOOK_FAULTS: 'full', DRBOOK_FAULTS_FIGURES: figures };
let failed = 0;
const started = Date.now();
for (const file of files) {
  const node = [process.execPath, '--test', ...(pattern ? [`--test-name-pattern=${pattern}`] : []), file];
  const command = lock ? ['flock', lock, ...node] : node;
  const t0 = Date.now();
  const result = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env });
  console.log(`faults: ${file}: exit ${result.status} in ${Math.round((Date.now() - t0) / 1000)} s`);
  if (result.status !== 0) failed++;
}
let text = '';
try {
  text = readFileSync(figures, 'utf8');
  rmSync(figures);
} catch {
  // no figures file: no fault file wrote one, so there is nothing to add to the summary
}
console.log(`\nfault sweep: ${files.length} file(s), ${failed} failed, ${Math.round((Date.now() - started) / 1000)} s\n${text}`);
process.exit(failed ? 1 : 0);
