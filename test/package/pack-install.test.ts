// The published CLI, as an operator gets it: `npm pack` of this repository, installed
// with `npm i -g --prefix <tmp>` from the tarball alone (--offline: every runtime
// dependency is bundled, the workspace packages @drbook/system and @drbook/sandbox
// among them, so nothing comes from a registry or its cache), then run from a folder that is not
// the repository: --help, validate, sandbox up, snapshot, plan on the sandbox's
// inventory, sandbox down, and demo. Any file missing from the tarball (dist/, runbooks/,
// the sandbox's node programs) fails one of these.
// Loopback prefixes: 127.0.200. (sandbox up/plan/down) and 127.0.201. (demo).
// Install scripts are skipped (--ignore-scripts): ssh2's native add-ons are optional
// accelerators whose node-gyp build would only measure the machine's compiler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), import.meta.url.endsWith('.ts') ? '../..' : '../../..');
const PREFIX_SANDBOX = '127.0.200.';
const PREFIX_DEMO = '127.0.201.';

/** What the tarball must hold for the installed CLI to work (checked before installing, to name a missing file). */
const REQUIRED_FILES = [
  'package/bin/drbook.js',
  'package/dist/src/cli/main.js',
  'package/node_modules/etcd3/package.json',
  'package/node_modules/ssh2/package.json',
  'package/runbooks/etcd-restore.yaml',
  'package/runbooks/etcd-restore-ha.yaml',
  'package/node_modules/@drbook/system/dist/index.js',
  'package/node_modules/@drbook/sandbox/dist/src/index.js',
  'package/node_modules/@drbook/sandbox/dist/src/runner/main.js',
  'package/node_modules/@drbook/sandbox/dist/src/apiserver/main.js',
  'package/node_modules/@drbook/sandbox/dist/src/crictl/main.js',
];

test('npm pack gives a tarball that installs offline and runs --help, validate, plan, sandbox up/down and demo without the repository', { timeout: 600_000 }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'drbook-pack-'));
  const prefix = join(work, 'prefix');
  const home = join(work, 'home');
  const stateDir = join(work, 'state');
  const sandboxDir = join(work, 'sbx');
  const drbook = join(prefix, 'bin', 'drbook');
  // Run from a folder of its own, as an operator would: nothing of the repository is on the way.
  const env = { HOME: home, DRBOOK_STATE_DIR: stateDir, XDG_STATE_HOME: '', KUBECACHEDIR: join(work, 'kube-cache'), DRBOOK_DEBUG: '' };
  const run = (args: string[], timeout = 180_000) => execa(drbook, args, { cwd: work, env, reject: false, all: true, timeout });
  t.after(async () => {
    if (existsSync(drbook)) {
      await run(['sandbox', 'down', '--dir', sandboxDir]);
      await run(['sandbox', 'down', '--dir', join(stateDir, 'demo')]);
    }
    await rm(work, { recursive: true, force: true });
  });
  const timings: string[] = [];
  const timed = async <T>(what: string, step: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await step();
    } finally {
      timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  };

  const packed = await timed('pack', () => execa('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, reject: false }));
  assert.equal(packed.exitCode, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
  const tarball = join(work, info!.filename);
  const listing = await execa('tar', ['tzf', tarball]);
  const inTarball = new Set(listing.stdout.split('\n'));
  for (const file of REQUIRED_FILES) assert.ok(inTarball.has(file), `${file} is in ${info!.filename}`);
  assert.ok(![...inTarball].some((path) => /(^|\/)dist\/test\//.test(path) || path.startsWith('package/src/') || path.startsWith('package/test/')), 'no tests or TypeScript sources are packed');

  const installed = await timed('install', () =>
    execa('npm', ['i', '-g', '--prefix', prefix, tarball, '--offline', '--cache', join(work, 'npm-cache'), '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: work,
      reject: false,
      all: true,
    }),
  );
  assert.equal(installed.exitCode, 0, installed.all);
  const packageDir = join(prefix, 'lib', 'node_modules', 'drbook');
  assert.deepEqual((await readdir(join(packageDir, 'node_modules', '@drbook'))).sort(), ['sandbox', 'system'], 'the workspace packages are installed from the bundle, not linked');

  const help = await run(['--help']);
  assert.equal(help.exitCode, 0, help.all);
  assert.match(help.stdout, /Usage: drbook <command>/);
  assert.match(help.stdout, /sandbox\s/);

  const validate = await run(['validate', join(packageDir, 'runbooks', 'etcd-restore.yaml'), join(packageDir, 'runbooks', 'etcd-restore-ha.yaml')]);
  assert.equal(validate.exitCode, 0, validate.all);

  const up = await timed('sandbox up', () => run(['sandbox', 'up', '--dir', sandboxDir, '--ip-prefix', PREFIX_SANDBOX, '--workers', '0', '--json']));
  assert.equal(up.exitCode, 0, up.all);
  const sandbox = JSON.parse(up.stdout) as { status: string; codeDir: string; inventory: string };
  assert.equal(sandbox.status, 'running');
  assert.ok(sandbox.codeDir.startsWith(join(packageDir, 'node_modules', '@drbook', 'sandbox', 'dist')), `the sandbox runs the installed package's code: ${sandbox.codeDir}`);

  const snapshotFile = join(work, 'snapshot.db');
  const snapshot = await run(['sandbox', 'snapshot', snapshotFile, '--dir', sandboxDir]);
  assert.equal(snapshot.exitCode, 0, snapshot.all);
  const plan = await timed('plan', () => run(['plan', join(packageDir, 'runbooks', 'etcd-restore.yaml'), '-i', sandbox.inventory, '-t', 'masters', '-p', `snapshot=${snapshotFile}`, '-o', 'plain']));
  assert.equal(plan.exitCode, 0, plan.all);
  assert.match(plan.stdout, /PLAN \(dry-run: nothing will be changed\) etcd-restore/);
  assert.match(plan.stdout, /✓ snapshot .*SHA-256 trailer matches/);
  assert.match(plan.stdout, /node1/, 'the plan is for the sandbox master');

  const down = await timed('sandbox down', () => run(['sandbox', 'down', '--dir', sandboxDir]));
  assert.equal(down.exitCode, 0, down.all);
  assert.equal(existsSync(sandboxDir), false);

  const demo = await timed('demo', () => run(['demo', '--ip-prefix', PREFIX_DEMO, '-o', 'plain'], 300_000));
  assert.equal(demo.exitCode, 0, demo.all);
  assert.match(demo.all!, /5\. After the restore \(done\)/);
  assert.equal(existsSync(join(stateDir, 'demo')), false, 'the demo took its sandbox down');
  t.diagnostic(`tarball ${info!.filename}: ${(info!.size / 1e6).toFixed(1)} MB, ${info!.files.length} files; ${timings.join(', ')}`);
});
