// No secret in any command line on the operator's machine: while a command that uses a
// secret in every quoting context runs through the local transport, the command line of
// every process on the host (/proc/*/cmdline, readable by every user) is sampled every
// few milliseconds; no sample may hold any 8-character piece of the secret.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sh } from '../../src/shell/command.js';
import { LocalTransport } from '../../src/transport/local.js';
import { sampleCmdlines } from '../support/cmdline-sampler.js';
import { argvControlCommand, newSecret, secretUsingCommand } from '../support/secret-commands.js';

const transport = new LocalTransport();

test('the sampler sees a value that is in a command line (control)', async () => {
  const visible = `visible-${randomBytes(8).toString('hex')}`;
  const sampler = sampleCmdlines([visible]);
  const result = await transport.exec({ command: argvControlCommand(visible) });
  const sampling = sampler.stop();
  assert.equal(result.exitCode, 0);
  assert.ok(sampling.hits.length > 0, `the control value was not seen in ${sampling.sweeps} sweeps`);
});

test('a secret used in every context reaches the command intact and no command line on the host', async () => {
  for (let round = 0; round < 3; round++) {
    const secret = newSecret();
    const { command, expected } = secretUsingCommand(secret);
    const sampler = sampleCmdlines([secret]);
    const result = await transport.exec({ command });
    const sampling = sampler.stop();
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, expected, 'every use of the secret got its exact value');
    assert.ok(sampling.sweeps >= 10, `only ${sampling.sweeps} sweeps`);
    assert.deepEqual(sampling.hits, [], `secret fragments in command lines (${sampling.sweeps} sweeps over ${sampling.processes} processes)`);
  }
});

test('a command gets the secrets its script refers to, not the DRBOOK_PARAM_ values drbook was given', async () => {
  process.env.DRBOOK_PARAM_OTHER = 'other-secret-value';
  try {
    const result = await transport.exec({ command: sh`env`, env: { GIVEN: 'yes' } });
    assert.equal(result.exitCode, 0);
    assert.doesNotMatch(result.stdout, /DRBOOK_PARAM_OTHER|other-secret-value/);
    assert.match(result.stdout, /^GIVEN=yes$/m);
    assert.match(result.stdout, /^PATH=/m);
  } finally {
    delete process.env.DRBOOK_PARAM_OTHER;
  }
});
