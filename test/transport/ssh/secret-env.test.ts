// Secrets over SSH, against a real sshd on 127.0.140.11 (H5's prefix), with and without
// `become`. A stand-in `sudo` first on the session's PATH resets the environment the
// way sudo's env_reset does (only PATH and HOME survive), so the test shows the secrets
// arrive after sudo. While a command that uses a secret in every quoting context runs,
// the command line of every process on the host is sampled (sshd, the login shell,
// sudo, setsid, the wrappers and the command's children all run here); no sample may
// hold any piece of the secret. Hostile values sent as secrets come back byte-exact and
// never run, through the stdin preamble, in every context.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderCommand } from '../../../src/runbook/template.js';
import { sh } from '../../../src/shell/command.js';
import { SshTransport } from '../../../src/transport/ssh/ssh-transport.js';
import { sampleCmdlines } from '../../support/cmdline-sampler.js';
import { argvControlCommand, newSecret, scopeWith, secretUsingCommand } from '../../support/secret-commands.js';
import { startSshd, writeScript, type TestSshd } from '../../support/sshd.js';

const stage = mkdtempSync(join(tmpdir(), 'drbook-secret-env-'));
const bin = join(stage, 'bin');
let sshd: TestSshd;
let plain: SshTransport;
let become: SshTransport;

before(async () => {
  await mkdir(bin);
  await writeScript(
    join(bin, 'sudo'),
    `#!/bin/sh
[ "$1" = "-n" ] || { echo "stand-in sudo: expected -n first" >&2; exit 99; }
shift
[ "$1" = "--" ] && shift
exec env -i PATH="$PATH" HOME="$HOME" "$@"
`,
  );
  sshd = await startSshd({ address: '127.0.140.11', binDir: bin });
  plain = new SshTransport(sshd.host('s1'), { sshConfigFile: null, env: {} });
  become = new SshTransport(sshd.host('s2', { become: true }), { sshConfigFile: null, env: {} });
});

after(async () => {
  await plain?.close();
  await become?.close();
  await sshd?.stop();
  await rm(stage, { recursive: true, force: true });
});

test('the sampler sees a value that is in a remote command line (control)', async () => {
  const visible = `visible-${randomBytes(8).toString('hex')}`;
  const sampler = sampleCmdlines([visible]);
  const result = await plain.exec({ command: argvControlCommand(visible) });
  const sampling = sampler.stop();
  assert.equal(result.exitCode, 0, result.stderr);
  assert.ok(sampling.hits.length > 0, `the control value was not seen in ${sampling.sweeps} sweeps`);
});

test('the stand-in sudo does reset the environment (so the next test means something)', async () => {
  const result = await become.exec({ command: sh`printf '%s' "\${DRBOOK_PROBE-unset}"`, env: {} });
  assert.equal(result.stdout, 'unset');
});

for (const [name, transport] of [
  ['as the login user', () => plain],
  ['through sudo (become)', () => become],
] as const) {
  test(`over SSH ${name}: the secret reaches the command intact and no command line on the host`, async () => {
    for (let round = 0; round < 3; round++) {
      const secret = newSecret();
      const { command, expected } = secretUsingCommand(secret);
      const sampler = sampleCmdlines([secret]);
      const result = await transport().exec({ command, env: { PLAIN_ENV: `env-${secret}` } });
      const sampling = sampler.stop();
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(result.stdout, expected, 'every use of the secret got its exact value');
      assert.ok(sampling.sweeps >= 10, `only ${sampling.sweeps} sweeps`);
      assert.deepEqual(sampling.hits, [], `secret fragments in command lines (${sampling.sweeps} sweeps over ${sampling.processes} processes)`);
    }
  });
}

test('a command with a secret still gets its own stdin after the preamble', async () => {
  const command = renderCommand("printf '%s:' {{ params.token }}; cat", scopeWith({ token: 'a-secret-value' }, ['token']));
  for (const transport of [plain, become]) {
    const result = await transport.exec({ command, stdin: 'line one\nline two\n' });
    assert.equal(result.stdout, 'a-secret-value:line one\nline two\n');
  }
});

// The values of template-shell.test.ts that break each quoting context, as secrets.
const HOSTILE = [
  '$(touch X)',
  '`touch X`',
  "'; touch X; '",
  '"; touch X; "',
  'a\nb; touch X',
  '\n; touch X\n',
  'it\'s "quoted" \\ back\\slash',
  '$HOME ${HOME} $((1+1)) *',
  "'\\''; touch X; '\\''",
  '\\"; touch X; #',
  "$'\\x41'; touch X",
  '}; touch X; {',
  ')); touch X; ((',
  '-n',
  '',
  ' leading and trailing ',
  'ümlaut ✓ \t tab',
  '.\n.',
  '\\0101\\c',
];
const CONTEXTS = [
  { template: "printf '%s' {{ params.v }}", want: (v: string) => v },
  { template: "printf '%s' pre{{ params.v }}post", want: (v: string) => `pre${v}post` },
  { template: "printf '%s' 'pre {{ params.v }} post'", want: (v: string) => `pre ${v} post` },
  { template: 'printf \'%s\' "pre {{ params.v }} post"', want: (v: string) => `pre ${v} post` },
  { template: "printf '%s' \"$(printf '%s' {{ params.v }}; echo .)\"", want: (v: string) => `${v}.` },
];

test('hostile secrets over SSH come back byte-exact in every context and never run', async () => {
  const dir = join(stage, 'injection');
  await mkdir(dir);
  let runs = 0;
  for (const transport of [plain, become]) {
    for (const { template, want } of CONTEXTS) {
      for (const value of HOSTILE) {
        const command = renderCommand(`cd ${dir} && ${template}`, scopeWith({ v: value }, ['v']));
        const result = await transport.exec({ command });
        runs++;
        assert.equal(result.stdout, want(value), `value ${JSON.stringify(value)} in ${template}: ${result.stderr}`);
        assert.deepEqual(await readdir(dir), [], `injected text ran: value ${JSON.stringify(value)} in ${template}`);
      }
    }
  }
  assert.equal(runs, 2 * CONTEXTS.length * HOSTILE.length);
});
