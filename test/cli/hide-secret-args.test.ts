import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskSecretArgs } from '../../src/cli/hide-secret-args.js';
import { REPO_ROOT } from '../support/fixtures.js';

test('every spelling of -p has its secret value masked, the others kept', () => {
  const argv = ['node', 'drbook', 'run', 'r.yaml', '-p', 'token=abc=def', '-ppass=xyzw', '--param', 'plain=visible', '--param=token=again', '--', '-p', 'token=after-dashes'];
  const { argv: masked, hidden } = maskSecretArgs(argv, new Set(['token', 'pass']));
  assert.deepEqual(masked, ['node', 'drbook', 'run', 'r.yaml', '-p', 'token=***', '-ppass=***', '--param', 'plain=visible', '--param=token=***', '--', '-p', 'token=after-dashes']);
  assert.deepEqual(hidden, ['token', 'pass']);
  assert.deepEqual(maskSecretArgs(['drbook', 'run', '-p', 'plain=1'], new Set(['token'])).hidden, []);
});

test('drbook run with a secret given by -p hides it from its own /proc/PID/cmdline and says why DRBOOK_PARAM_ is better', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-hide-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const runbook = join(dir, 'r.yaml');
  await writeFile(runbook, 'apiVersion: drbook/v1\nkind: Runbook\nmetadata: { name: r }\nparams:\n  token: { type: string, secret: true }\nsteps:\n  - { id: a, name: A, run: "sleep 1.5" }\n');
  const secret = 'visible-in-argv-1234';
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/drbook.js'), 'run', runbook, '-p', `token=${secret}`, '-o', 'plain', '--state-dir', join(dir, 'state')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The local host's lock and run markers in the test's folder (as root the default would be /var/lib/drbook).
    env: { ...process.env, DRBOOK_LOCAL_HOST_STATE_DIR: join(dir, 'host-state') },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (/\$ sleep 1\.5/.test(output)) {
        clearInterval(poll);
        try {
          const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
          assert.ok(!cmdline.includes(secret), cmdline);
          assert.match(cmdline, /-p token=\*\*\*/);
          resolve();
        } catch (error) {
          reject(error);
        }
      } else if (Date.now() - started > 20_000) {
        clearInterval(poll);
        reject(new Error(`no step started: ${output}`));
      }
    }, 20);
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0, output);
  assert.match(output, /warning: secret `token` given with -p: drbook hid it from its command line, but every user of this machine could read it there for a moment.*DRBOOK_PARAM_TOKEN/);
  assert.ok(!output.includes(secret));
});
