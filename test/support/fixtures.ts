// Where the repository and its fixtures are, found from this file so that the tests
// work both from test/ (tsx) and from dist/test/ (compiled): fixtures are not copied
// into dist/, so a path relative to the test file would point at nothing after tsc.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'fixtures'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root (package.json next to fixtures/) not found above the tests');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();
export const fixture = (...parts: string[]): string => join(REPO_ROOT, 'fixtures', ...parts);
