#!/usr/bin/env node
// Runs every compiled test file with node's own test runner: the product's (dist/test)
// and each workspace package's (packages/*/dist/test). Node 20 has no glob support in
// `node --test`, so the files are listed here. `--unit` skips test/e2e, test/faults and test/package (they start sandboxes); test/faults runs its sample here, the full sweep is `npm run test:faults`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const roots = [
  'dist/test',
  ...readdirSync('packages')
    .sort()
    .map((name) => join('packages', name, 'dist', 'test')),
].filter((dir) => existsSync(dir));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (unitOnly && (name === 'e2e' || name === 'faults' || name === 'package')) continue;
      walk(path);
    } else if (name.endsWith('.test.js')) files.push(path);
  }
};
for (const root of roots) walk(root);
const concurrency = process.env.DRBOOK_TEST_CONCURRENCY ?? '2';
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
