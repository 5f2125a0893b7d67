// A host that accepts TCP and never speaks SSH (a plain net server on 127.0.185.1) put in
// place of node3 in a copy of the sandbox's inventory: the run must be refused before any
// change, in bounded time, naming the host; every master untouched.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runCli } from '../../e2e/support/cli.js';
import { newFigures, printFigures } from './figures.js';
import { AFTER_KEY } from './kill-case.js';
import { hashFolder, output, servedValue, type Target } from './target.js';

export const SILENT_ADDRESS = '127.0.185.1';

export async function runAgainstSilentHost(sbx: Target, snapshot: string, t: { after: (fn: () => void) => void }): Promise<void> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket)); // accepts, never writes a byte
  await new Promise<void>((resolve) => server.listen(0, SILENT_ADDRESS, resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  const doc = parse(await readFile(sbx.info.inventory, 'utf8')) as { hosts: Record<string, Record<string, unknown>> };
  doc.hosts.node3 = { ...doc.hosts.node3, address: SILENT_ADDRESS, port };
  const inventory = join(sbx.base, 'silent-node3.inventory.yaml');
  await writeFile(inventory, stringify(doc));

  const figures = newFigures(`tcp-no-ssh ${sbx.label}`);
  const manifests = await Promise.all(sbx.paths.map((p) => hashFolder(p.manifestsDir)));
  const value = (await servedValue(sbx, 0, AFTER_KEY)) ?? '';
  const startedAt = Date.now();
  const result = await runCli(['run', sbx.runbook, '-i', inventory, '--state-dir', join(sbx.base, 'state-silent'), '-p', `snapshot=${snapshot}`, '--yes', '-o', 'plain'], { env: sbx.env });
  const seconds = (Date.now() - startedAt) / 1000;
  figures.points++;
  const out = output(result);
  assert.ok(result.code === 1 || result.code === 2, `refused, nothing changed: ${out}`);
  assert.match(result.stdout + result.stderr, /node3/);
  assert.match(result.stdout + result.stderr, /handshake|timed? ?out|not .*SSH/i);
  assert.ok(seconds < 90, `bounded: ${seconds} s`);
  assert.equal(sockets.length > 0, true, 'drbook did connect to the silent server');
  for (const [i, p] of sbx.paths.entries()) assert.deepEqual(await hashFolder(p.manifestsDir), manifests[i], `${sbx.info.nodes[i]!.name}: manifests untouched`);
  assert.equal((await servedValue(sbx, 0, AFTER_KEY)) ?? '', value, 'etcd serves what it served');
  printFigures(figures);
}
