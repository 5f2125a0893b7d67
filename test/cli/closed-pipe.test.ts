// `drbook runs | head -1`: stdout closed by its reader while drbook still writes. The
// real CLI in a child process, with a real pipe whose reading end is destroyed: the
// command ends with its own exit code and nothing on stderr (no EPIPE stack).
// Also: `drbook --help` loads none of the heavy libraries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/fixtures.js';

const BIN = join(REPO_ROOT, 'bin/drbook.js');

interface Closed {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Bytes read before the pipe was destroyed. */
  read: number;
}

/** Run drbook with stdout a pipe that is destroyed after the first chunk (or at once, before any output). */
function runWithClosedStdout(args: string[], env: Record<string, string>, when: 'first-chunk' | 'at-once'): Promise<Closed> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let read = 0;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  if (when === 'at-once') child.stdout!.destroy();
  else child.stdout!.once('data', (d: Buffer) => ((read = d.length), child.stdout!.destroy()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr, read })));
}

/** A state dir with `count` finished runs: `drbook runs` prints a line per run, more than a pipe buffer holds. */
async function stateWithRuns(dir: string, count: number): Promise<string> {
  for (let i = 0; i < count; i++) {
    const runId = `20261123T09${String(Math.floor(i / 60) % 60).padStart(2, '0')}${String(i % 60).padStart(2, '0')}Z-${i.toString(16).padStart(4, '0')}`;
    const header = {
      t: 'run',
      runId,
      at: '2026-11-23T09:15:30.000Z',
      runbook: { file: '/x/r.yaml', sha256: '00', name: `a-runbook-with-a-fairly-long-name-${i}` },
      cliParams: {},
      secretParams: [],
      hosts: ['node1', 'node2', 'node3'],
      dryRun: false,
      rollbackOnFailure: true,
      pid: 1,
      machine: 'm',
    };
    const end = { t: 'end', at: '2026-11-23T09:16:30.000Z', state: 'done', exitCode: 0 };
    await mkdir(join(dir, 'runs', runId), { recursive: true });
    await writeFile(join(dir, 'runs', runId, 'journal.jsonl'), `${JSON.stringify(header)}\n${JSON.stringify(end)}\n`);
  }
  return dir;
}

test('drbook runs | head -1: the pipe destroyed after the first chunk; exit 0, nothing on stderr', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-epipe-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // 800 runs × ~100 bytes: more than the 64 KiB a pipe buffers, so drbook is still writing when the pipe closes.
  const state = await stateWithRuns(join(dir, 'state'), 800);
  const r = await runWithClosedStdout(['runs', '--state-dir', state], {}, 'first-chunk');
  assert.ok(r.read > 0, 'the first chunk was read');
  assert.equal(r.stderr, '');
  assert.equal(r.signal, null);
  assert.equal(r.code, 0);
  // --json writes one line per run: the same.
  const json = await runWithClosedStdout(['runs', '--json', '--state-dir', state], {}, 'first-chunk');
  assert.deepEqual([json.code, json.stderr], [0, '']);
});

test('--help, schema and report to a pipe closed before they write: exit 0, nothing on stderr', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-epipe-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const state = await stateWithRuns(join(dir, 'state'), 1);
  const runId = (await readFile(join(state, 'runs', (await import('node:fs')).readdirSync(join(state, 'runs'))[0]!, 'journal.jsonl'), 'utf8')).match(/"runId":"([^"]+)"/)![1]!;
  for (const args of [['--help'], ['schema'], ['schema', '--inventory'], ['report', runId, '--state-dir', state], ['run', '--help']]) {
    const r = await runWithClosedStdout(args, {}, 'at-once');
    assert.deepEqual([r.code, r.signal, r.stderr], [0, null, ''], args.join(' '));
  }
  // An error still goes to stderr, with its code, when stdout is closed.
  const bad = await runWithClosedStdout(['report', 'no-such-run', '--state-dir', state], {}, 'at-once');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: no run no-such-run in the state dir/);
});

/**
 * The module URLs `drbook ...args` loads, written down by a module resolve hook: what a
 * command does NOT load is asserted on this trace, never on a timing. Exits with `code`.
 */
async function modulesLoadedBy(t: { after(fn: () => Promise<void>): void }, args: string[]): Promise<{ code: number | null; loaded: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-imports-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const log = join(dir, 'resolved.txt');
  await writeFile(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`,
  );
  await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)});\n`);
  const code = await new Promise<number | null>((resolve) => spawn(process.execPath, ['--import', join(dir, 'register.mjs'), BIN, ...args], { stdio: 'ignore' }).on('close', resolve));
  return { code, loaded: (await readFile(log, 'utf8')).split('\n').filter(Boolean) };
}

test('drbook --help loads neither listr2 nor ssh2 nor etcd3 (nor zod)', async (t) => {
  const { code, loaded } = await modulesLoadedBy(t, ['--help']);
  assert.equal(code, 0);
  assert.ok(
    loaded.some((url) => url.endsWith('/cli/command-table.js')),
    loaded.join('\n'),
  );
  for (const heavy of ['listr2', 'ssh2', 'etcd3', 'zod', 'execa']) assert.ok(!loaded.some((url) => url.includes(`/node_modules/${heavy}/`)), `${heavy} loaded by --help`);
  assert.ok(!loaded.some((url) => url.includes('/cli/commands/')), 'no command body loaded by --help');
});

// A command's --help (and a flag error) reads its spec from cli/specs/, not its body: no
// library, no engine, no actions (module-load trace, not a timing).
test('drbook run --help, plan --help and validate --help load no body, no execa/listr2/ssh2/etcd3/zod', async (t) => {
  for (const command of ['run', 'plan', 'validate', 'resume', 'rollback', 'rehearse']) {
    const { code, loaded } = await modulesLoadedBy(t, [command, '--help']);
    assert.equal(code, 0, `${command} --help`);
    assert.ok(
      loaded.some((url) => url.endsWith(`/cli/specs/${command}.js`)),
      loaded.join('\n'),
    );
    for (const heavy of ['listr2', 'ssh2', 'etcd3', 'zod', 'execa', 'yaml']) assert.ok(!loaded.some((url) => url.includes(`/node_modules/${heavy}/`)), `${heavy} loaded by ${command} --help`);
    for (const layer of ['/cli/commands/', '/engine/', '/actions/', '/runbook/', '/transport/']) assert.ok(!loaded.some((url) => url.includes(layer)), `${layer} loaded by ${command} --help`);
  }
});

test('drbook validate loads no execa, listr2, ssh2 nor etcd3: it runs nothing, so no transport library', async (t) => {
  const { code, loaded } = await modulesLoadedBy(t, ['validate', join(REPO_ROOT, 'runbooks/etcd-restore.yaml')]);
  assert.equal(code, 0);
  assert.ok(
    loaded.some((url) => url.endsWith('/cli/commands/validate.js')),
    loaded.join('\n'),
  );
  for (const heavy of ['listr2', 'ssh2', 'etcd3', 'execa']) assert.ok(!loaded.some((url) => url.includes(`/node_modules/${heavy}/`)), `${heavy} loaded by validate`);
});
