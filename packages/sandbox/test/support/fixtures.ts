// The repository's fixtures/ (real manifests and protobuf test data, each naming its
// source), which the sandbox's tests read: they stay in the repository, outside the
// package, and are never packed. Found by walking up from this file, which sits in
// test/support (tsx) or dist/test/support (compiled).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const candidates = [4, 5].map((up) => resolve(here, ...Array<string>(up).fill('..'), 'fixtures'));
const found = candidates.find((dir) => existsSync(dir));
if (!found) throw new Error(`the repository's fixtures/ folder is not above ${here}`);

export const FIXTURES_DIR = found;
export const fixture = (...parts: string[]): string => join(FIXTURES_DIR, ...parts);
