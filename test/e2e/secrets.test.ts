// Secrets end to end through the real CLI: a runbook (fixtures/runbooks/e2e/secrets.yaml)
// uses and prints two secret params (a 40-character token and a 10 KB value, given as
// DRBOOK_PARAM_* so not even drbook's own argv holds them) on three hosts: over a real
// sshd on 127.0.140.21 (H5's prefix) as the login user, over the same sshd through a
// stand-in sudo that resets the environment like sudo's env_reset, and locally. While
// each run goes on, /proc/*/cmdline of every process on the host is sampled. Then no
// 8-character piece of either secret may be in the output (plain and JSON), the
// journal, the report or any command line, and every host must have received the exact
// values (each writes a checksum of what it got).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FragmentFinder, sampleCmdlines } from '../support/cmdline-sampler.js';
import { startSshd, writeScript, type TestSshd } from '../support/sshd.js';
import { parseEvents, REPO, runCli } from './support/cli.js';

const RUNBOOK = join(REPO, 'fixtures/runbooks/e2e/secrets.yaml');
let base: string;
let sshd: TestSshd;
let inventory: string;

before(async () => {
  base = await mkdtemp(join(tmpdir(), 'drbook-e2e-secrets-'));
  const bin = join(base, 'bin');
  await mkdir(bin);
  await writeScript(join(bin, 'sudo'), '#!/bin/sh\n[ "$1" = "-n" ] || exit 99\nshift\n[ "$1" = "--" ] && shift\nexec env -i PATH="$PATH" HOME="$HOME" "$@"\n');
  sshd = await startSshd({ address: '127.0.140.21', binDir: bin });
  const ssh = (extra: string) =>
    `{ connection: ssh, address: ${sshd.address}, port: ${sshd.port}, user: ${sshd.user}, identityFile: ${sshd.userKeyFile}, knownHostsFile: ${sshd.knownHostsFile}, hostKeyChecking: strict${extra} }`;
  inventory = join(base, 'inventory.yaml');
  await writeFile(
    inventory,
    [
      'apiVersion: drbook/v1',
      'kind: Inventory',
      'groups:',
      '  nodes: { hosts: [r1, r2, box] }',
      'hosts:',
      `  r1: ${ssh('')}`,
      `  r2: ${ssh(', become: true')}`,
      '  box: { connection: local }',
      '',
    ].join('\n'),
  );
});

after(async () => {
  await sshd?.stop();
  await rm(base, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

async function runWithSecrets(mode: 'plain' | 'json', fail: boolean) {
  const token = randomBytes(20).toString('hex');
  const big = randomBytes(5000).toString('hex');
  const finder = new FragmentFinder([token, big]);
  const dir = await mkdtemp(join(base, 'run-'));
  const stateDir = join(dir, 'state');
  const out = join(dir, 'out');
  await mkdir(out);
  const sampler = sampleCmdlines([token, big], 5);
  const result = await runCli(['run', RUNBOOK, '-i', inventory, '-p', `out=${out}`, '-p', `fail=${fail}`, '-o', mode], {
    stateDir,
    env: { DRBOOK_PARAM_TOKEN: token, DRBOOK_PARAM_BIG: big },
  });
  const sampling = sampler.stop();
  return { token, big, finder, stateDir, out, result, sampling };
}

for (const [mode, fail] of [
  ['plain', false],
  ['json', true],
  ['plain', true],
] as const) {
  test(`-o ${mode}, ${fail ? 'failing and rolled back' : 'done'}: the secrets arrive intact and show nowhere`, async (t) => {
    const { token, big, finder, stateDir, out, result, sampling } = await runWithSecrets(mode, fail);
    assert.equal(result.code, fail ? 1 : 0, result.stdout + result.stderr);
    const expected = `${createHash('sha256').update(`${token}|a${token}b|c${token}d|${big}`).digest('hex')}  -\n`;
    for (const host of ['r1', 'r2', 'box']) assert.equal(await readFile(join(out, `${host}.sum`), 'utf8'), expected, `${host} got the exact values`);

    assert.equal(finder.find(result.stdout + result.stderr), undefined, 'a piece of a secret in the output');
    if (mode === 'json') {
      const events = parseEvents(result.stdout);
      const shown = events
        .filter((e) => e.type === 'output')
        .map((e) => e.text)
        .join('');
      assert.match(shown, /used on r2: \*\*\*/);
      assert.ok(
        events.some((e) => e.type === 'undo.finished' && e.stepId === 'split' && e.ok),
        'the rollback ran the undo that prints the secret',
      );
    } else {
      assert.match(result.stdout + result.stderr, /used on box: \*\*\*/);
    }
    const files = await filesUnder(stateDir);
    assert.ok(files.some((f) => f.endsWith('journal.jsonl')));
    for (const file of files) assert.equal(finder.find(await readFile(file, 'latin1')), undefined, `a piece of a secret in ${file}`);
    const runId = (await readdir(join(stateDir, 'runs')))[0]!;
    const report = await runCli(['report', runId], { stateDir });
    assert.equal(report.code, 0, report.stderr);
    assert.equal(finder.find(report.stdout), undefined, 'a piece of a secret in the report');
    if (fail) assert.match(report.stdout, /x{100}/, 'the report shows the failing output');

    t.diagnostic(`${sampling.sweeps} sweeps of /proc/*/cmdline over ${sampling.processes} processes, ${sampling.hits.length} with a piece of a secret`);
    assert.ok(sampling.sweeps >= 30, `only ${sampling.sweeps} sweeps`);
    assert.deepEqual(sampling.hits, [], `secret pieces in command lines (${sampling.sweeps} sweeps over ${sampling.processes} processes)`);
  });
}

test("the plan says where a secret still reaches a program's argv: the step, the param, the program", async () => {
  const dir = await mkdtemp(join(base, 'plan-'));
  const runbook = join(dir, 'argv.yaml');
  await writeFile(
    runbook,
    [
      'apiVersion: drbook/v1',
      'kind: Runbook',
      'metadata: { name: argv }',
      'params:',
      '  token: { type: string, secret: true, required: true }',
      'steps:',
      '  - id: login',
      '    name: Log in',
      '    run: "curl -s -u admin:{{ params.token }} https://127.0.140.1/ || true"',
      '  - id: safe',
      '    name: Through the environment',
      '    run: "ETCDCTL_PASSWORD={{ params.token }} true"',
      '  - id: move',
      '    name: A secret in a path',
      '    uses: file.move',
      '    with: { from: "/tmp/{{ params.token }}-src", to: /tmp/h5-dst }',
      '',
    ].join('\n'),
  );
  const result = await runCli(['plan', runbook, '-o', 'plain'], { stateDir: join(dir, 'state'), env: { DRBOOK_PARAM_TOKEN: 'a-token-for-the-plan' } });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const text = result.stdout + result.stderr;
  assert.match(text, /step login: secret param `token` is passed to curl as an argument \(`run:`\).*curl -K -/);
  assert.doesNotMatch(text, /step safe: secret param/);
  assert.match(text, /step move: secret param `token` is in `with\.from`: where file\.move hands that value to a program as an argument/);
  assert.doesNotMatch(text, /a-token-for-the-plan/);
});

test('drbook rollback without a secret its undos need refuses before any change, naming the param and how to give it; with it, it undoes', async () => {
  const dir = await mkdtemp(join(base, 'rollback-'));
  const stateDir = join(dir, 'state');
  const out = join(dir, 'out');
  await mkdir(out);
  const token = randomBytes(20).toString('hex');
  const finder = new FragmentFinder([token]);
  const failed = await runCli(['run', RUNBOOK, '-i', inventory, '-t', 'box', '-p', `out=${out}`, '-p', 'fail=true', '--no-rollback', '-o', 'plain'], {
    stateDir,
    env: { DRBOOK_PARAM_TOKEN: token, DRBOOK_PARAM_BIG: 'a-big-enough-value' },
  });
  assert.equal(failed.code, 3, failed.stdout + failed.stderr);
  const runId = (await readdir(join(stateDir, 'runs')))[0]!;
  const journalFile = join(stateDir, 'runs', runId, 'journal.jsonl');
  const journalBefore = await readFile(journalFile, 'utf8');

  const refused = await runCli(['rollback', runId, '-o', 'plain'], { stateDir });
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(
    refused.stderr,
    /the undo of step `use` on box, step `split` on box needs the secret param `token`, which is never journaled: give it again with -p token=\.\.\. or in the environment as DRBOOK_PARAM_TOKEN/,
  );
  assert.match(refused.stderr, /nothing was changed/);
  assert.doesNotMatch(refused.stderr, /at .*\.js:\d+/, 'no stack trace');
  assert.equal(await readFile(journalFile, 'utf8'), journalBefore, 'the refused rollback wrote nothing');

  const done = await runCli(['rollback', runId, '-o', 'plain'], { stateDir, env: { DRBOOK_PARAM_TOKEN: token } });
  assert.equal(done.code, 0, done.stdout + done.stderr);
  assert.match(done.stdout + done.stderr, /undoing with \*\*\*/);
  assert.equal(finder.find(done.stdout + done.stderr + (await readFile(journalFile, 'utf8'))), undefined);
});

test("a secret inside an action's path: journaled by name, so the rollback (in the run, and drbook rollback later) puts the file back where it was", async () => {
  const dir = await mkdtemp(join(base, 'path-'));
  const token = randomBytes(12).toString('hex');
  const finder = new FragmentFinder([token]);
  const runbook = join(dir, 'move.yaml');
  await writeFile(
    runbook,
    [
      'apiVersion: drbook/v1',
      'kind: Runbook',
      'metadata: { name: move }',
      'params:',
      '  token: { type: string, secret: true, required: true }',
      'steps:',
      `  - { id: move, name: Move, uses: file.move, with: { from: "${dir}/{{ params.token }}-src", to: "${dir}/dst" } }`,
      '  - { id: fail, name: Fail, run: "exit 1" }',
      '',
    ].join('\n'),
  );
  const source = join(dir, `${token}-src`);
  for (const mode of ['in the run', 'drbook rollback'] as const) {
    await writeFile(source, 'data');
    const stateDir = join(dir, `state-${mode === 'in the run' ? 'a' : 'b'}`);
    const env = { DRBOOK_PARAM_TOKEN: token };
    const run = await runCli(['run', runbook, '-o', 'plain', ...(mode === 'drbook rollback' ? ['--no-rollback'] : [])], { stateDir, env });
    assert.equal(run.code, mode === 'in the run' ? 1 : 3, run.stdout + run.stderr);
    let text = run.stdout + run.stderr;
    if (mode === 'drbook rollback') {
      const runId = (await readdir(join(stateDir, 'runs')))[0]!;
      const refused = await runCli(['rollback', runId, '-o', 'plain'], { stateDir });
      assert.equal(refused.code, 2, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /the undo of step `move` on local needs the secret param `token`/);
      const done = await runCli(['rollback', runId, '-o', 'plain'], { stateDir, env });
      assert.equal(done.code, 0, done.stdout + done.stderr);
      text += done.stdout + done.stderr;
    }
    assert.equal(await readFile(source, 'utf8'), 'data', `${mode}: the file is back under its secret name`);
    assert.equal(finder.find(text), undefined);
    for (const file of await filesUnder(stateDir)) assert.equal(finder.find(await readFile(file, 'latin1')), undefined, file);
  }
});
