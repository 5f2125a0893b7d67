#!/usr/bin/env node
// Prints every import arrow between src/ folders that points UP the layering (scripts/layers.mjs,
// the order eslint.config.js enforces), and a count. Used to find what to move, and as the figure for
// the structure note: `node scripts/import-layers.mjs [--all] [--root DIR]`. --all also
// prints the folder-to-folder arrow counts; --root reads DIR/src (e.g. an older tree from
// `git archive`). Exit status 1 when an upward arrow exists.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAYERS } from './layers.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--root');
const src = join(at > 0 ? resolve(process.argv[at + 1]) : root, 'src');

const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i])));

function listTs(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listTs(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file) {
  const path = relative(src, file);
  const first = path.split('/')[0];
  return first.endsWith('.ts') ? '(root)' : first;
}

const importPattern = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
const arrows = [];
for (const file of listTs(src)) {
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(importPattern)) {
    const target = resolve(dirname(file), match[1] ?? match[2]).replace(/\.js$/, '.ts');
    if (!target.startsWith(src + '/')) continue;
    const from = layerOf(file);
    const to = layerOf(target);
    if (from !== to) arrows.push({ file: relative(src, file), target: relative(src, target), from, to });
  }
}

const upward = arrows.filter((a) => {
  const f = rank.get(a.from);
  const t = rank.get(a.to);
  return f === undefined || t === undefined || t > f || (t === f && a.from !== a.to);
});

if (process.argv.includes('--all')) {
  const counts = new Map();
  for (const a of arrows) counts.set(`${a.from} -> ${a.to}`, (counts.get(`${a.from} -> ${a.to}`) ?? 0) + 1);
  for (const [edge, n] of [...counts].sort()) console.log(`${n.toString().padStart(4)}  ${edge}`);
  console.log('');
}
for (const a of upward) console.log(`UP  ${a.from} -> ${a.to}   ${a.file} -> ${a.target}`);
console.log(`${upward.length} upward arrow(s) of ${arrows.length} between folders`);
process.exitCode = upward.length > 0 ? 1 : 0;
