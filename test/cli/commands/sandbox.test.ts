import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/dispatch.js';
import { sandboxDown } from '@drbook/sandbox';
import { isProcessAlive } from '@drbook/system';

/** Runs `drbook sandbox ...argv` through the command table, with stdout/stderr captured. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(['sandbox', ...argv]);
    return { code, out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

test('bad input exits 2 with a clear message; --help exits 0', async () => {
  const unknown = await run(['up', '--bogus']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /drbook sandbox up: Unknown option '--bogus'/);
  assert.equal((await run(['explode'])).code, 2);
  assert.match((await run(['snapshot'])).err, /missing argument/);
  assert.match((await run(['down', 'extra'])).err, /unexpected argument "extra"/);
  const nodes = await run(['up', '--nodes', 'three', '--dir', '/nonexistent/x']);
  assert.equal(nodes.code, 2);
  assert.match(nodes.err, /--nodes: expected a whole number, got "three"/);
  const workers = await run(['up', '--workers', 'many', '--dir', '/nonexistent/x']);
  assert.equal(workers.code, 2);
  assert.match(workers.err, /--workers: expected a whole number, got "many"/);
  for (const sub of ['up', 'down', 'status', 'snapshot']) {
    const help = await run([sub, '--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, new RegExp(`Usage: drbook sandbox ${sub}`));
  }
  assert.match((await run(['--help'])).out, /up\s+Create and start/);
});

test('up, status --json, down through the command', async (t) => {
  const base = await mkdtemp(join(tmpdir(), 'drbook-cli-sbx-'));
  const dir = join(base, 'sbx');
  t.after(async () => {
    // Cleanup: the test may have taken the sandbox down already.
    await sandboxDown({ dir }).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
  });
  const up = await run(['up', '--dir', dir, '--ip-prefix', '127.0.63.', '--json']);
  assert.equal(up.code, 0, up.err);
  const info = JSON.parse(up.out);
  assert.equal(info.nodes[0].ip, '127.0.63.11');
  assert.match(up.err, /waiting for etcd/);

  const status = await run(['status', '--dir', dir, '--json']);
  assert.equal(status.code, 0, status.out);
  assert.equal(JSON.parse(status.out).nodes[0].etcd.ok, true);
  const human = await run(['status', '--dir', dir]);
  assert.match(human.out, /node1 127\.0\.63\.11 \(master\): kubelet pid \d+; etcd healthy/);
  // The seeded cluster's workers, each with its kubelet.
  assert.match(human.out, /worker1 127\.0\.63\.21 \(worker\): kubelet pid \d+\n/);
  assert.match(human.out, /worker2 127\.0\.63\.22 \(worker\): kubelet pid \d+\n/);

  const down = await run(['down', '--dir', dir]);
  assert.equal(down.code, 0, down.err);
  assert.match(down.out, /stopped 3 runner\(s\); removed/);
  assert.equal(existsSync(dir), false);
  for (const pid of info.pids) assert.equal(isProcessAlive(pid), false);
  assert.equal((await run(['status', '--dir', dir])).code, 1);
});
