#!/usr/bin/env node
// `npm pack` hooks. prepack: writes npm-shrinkwrap.json, the lockfile of the published
// CLI, from package-lock.json: the exact versions and integrities `npm ci` installed, so
// `npm i -g ./drbook-*.tgz` installs what CI tested and needs no registry metadata
// (it works --offline from the cache `npm ci` filled). Left out: devDependencies, and
// the workspace packages (@drbook/system, @drbook/sandbox), which are bundled in the
// tarball (bundleDependencies) instead of linked. postpack: removes the file again, so
// the repository's own installs keep using package-lock.json.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const SHRINKWRAP = 'npm-shrinkwrap.json';

if (process.argv[2] === 'remove') {
  rmSync(SHRINKWRAP, { force: true });
} else {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
  const packages = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') {
      const { devDependencies, workspaces, ...root } = entry;
      packages[path] = root;
    } else if (!entry.dev && !entry.link && !path.startsWith('packages/')) {
      packages[path] = entry;
    }
  }
  writeFileSync(SHRINKWRAP, `${JSON.stringify({ ...lock, packages }, null, 2)}\n`);
}
