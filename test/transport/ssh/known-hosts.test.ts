import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DrbookError } from '../../../src/core/errors.js';
import { prepareHostKeyCheck } from '../../../src/transport/ssh/host-key-check.js';
import { appendKnownHost, fingerprintSha256, hashHostName, knownHostName, loadKnownHosts, lookupHostKey, parseKnownHosts } from '../../../src/transport/ssh/known-hosts.js';
import { fixture } from '../../support/fixtures.js';

const FIXTURE = fixture('ssh', 'known_hosts');
const blob = (base64: string) => Buffer.from(base64, 'base64');
const A = blob('AAAAC3NzaC1lZDI1NTE5AAAAIGbCmIP2nFHvyqAXeqMQS1GpPOukLvT4YJhjSd8j6ppM');
const B = blob('AAAAC3NzaC1lZDI1NTE5AAAAIIWdUq0+Ks10t9Lis9Pb6kwPRKQvzuc7Y+3JApwDdS2L');
const C = blob('AAAAC3NzaC1lZDI1NTE5AAAAIFYjMDSEPQ5mhGND3kO5+5XPv6UYXuu8ZpO27xhd1Yyh');
const D = blob('AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKpm4SS2bSwSUcU6EIPk2ic8zH2itM5qZzhHKRyr66mjxyc/pNpo6x54f5BH5oPtbMUsb/97LQ85aTwnEIDEk9U=');

const entries = await loadKnownHosts([FIXTURE, '/nonexistent/known_hosts']);
const status = (name: string, key: Buffer) => lookupHostKey(entries, name, key).status;

test('parsing skips comments, blank, malformed and unknown-marker lines and keeps line numbers', () => {
  assert.equal(entries.length, 9);
  assert.equal(entries[0]!.line, 5);
  assert.equal(entries[0]!.hosts, 'master-1,10.0.0.1');
  assert.equal(entries.filter((e) => e.marker === 'revoked').length, 1);
  assert.equal(entries.filter((e) => e.marker === 'cert-authority').length, 1);
});

test('plain names, comma lists and the [host]:port form', () => {
  assert.equal(status('master-1', A), 'known');
  assert.equal(status('10.0.0.1', A), 'known');
  assert.equal(status(knownHostName('master-2.example.com', 2222), A), 'known');
  assert.equal(status(knownHostName('master-2.example.com', 22), A), 'unknown', 'port 22 is a different entry');
  assert.equal(knownHostName('h', 22), 'h');
  assert.equal(knownHostName('h', 2222), '[h]:2222');
});

test('wildcards match, a negated pattern excludes the line', () => {
  assert.equal(status('x.lab.example.com', A), 'known');
  assert.equal(status('secret.lab.example.com', A), 'unknown');
  assert.equal(status('MASTER-1', A), 'known', 'host names compare case-insensitively');
});

test('hashed entries written by ssh-keygen -H match, with and without a port', () => {
  assert.equal(status('hashed.example.com', C), 'known');
  assert.equal(status(knownHostName('10.0.0.9', 2222), C), 'known');
  assert.equal(status('10.0.0.9', C), 'unknown');
  const salt = Buffer.from('3DdVCW7yvuwBB99n0rjCqKxveYM=', 'base64');
  assert.equal(hashHostName('hashed.example.com', salt), '|1|3DdVCW7yvuwBB99n0rjCqKxveYM=|gytOjXJPILwYGBdml7EGmT3NkA8=');
});

test('a different key of the same type is "changed", with the recording line', () => {
  const verdict = lookupHostKey(entries, 'master-1', C);
  assert.equal(verdict.status, 'changed');
  assert.equal(verdict.status === 'changed' && verdict.entry.line, 5);
});

test('a key type not recorded for a known host is "other-type"', () => {
  assert.equal(status('ecdsa-only.example.com', A), 'other-type');
  assert.equal(status('ecdsa-only.example.com', D), 'known');
});

test('@revoked wins even over a line that records the same key', () => {
  assert.equal(status('m1.wild.example.com', B), 'revoked');
});

test('@cert-authority lines do not make a host known', () => {
  assert.equal(status('foo.example.com', D), 'unknown');
});

test('fingerprints are in OpenSSH form', () => {
  assert.equal(fingerprintSha256(A), 'SHA256:CB8n9kTPW6xpEhbIOm6wx4Pmyq//L1quVCvBuhH6PN0');
  assert.equal(fingerprintSha256(B), 'SHA256:SNLE/pLpGJdjxvqKWL1FLo5W67agVqRcyY/B7IP1fLg');
});

test('appendKnownHost keeps every line whole, also in parallel and after a missing final newline', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-kh-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'sub/known_hosts');
  await appendKnownHost(file, 'first', A);
  await writeFile(file, (await readFile(file, 'utf8')).trimEnd()); // no final newline
  await Promise.all([appendKnownHost(file, '[h1]:2201', B), appendKnownHost(file, '[h2]:2202', C), appendKnownHost(file, 'h3', D)]);
  const parsed = parseKnownHosts(await readFile(file, 'utf8'), file);
  assert.deepEqual(parsed.map((e) => e.hosts).sort(), ['[h1]:2201', '[h2]:2202', 'first', 'h3']);
  assert.equal(lookupHostKey(parsed, '[h2]:2202', C).status, 'known');
});

test('host key policy: changed keys are refused with both fingerprints and file:line', async () => {
  const check = await prepareHostKeyCheck({ hostName: 'm1', address: 'master-1', port: 22, knownHostsFiles: [FIXTURE], checking: 'off' });
  await check.verify(A);
  await assert.rejects(check.verify(C), (error: DrbookError) => {
    assert.equal(error.kind, 'input');
    assert.equal(error.host, 'm1');
    assert.match(error.message, /CHANGED/);
    assert.ok(error.message.includes(fingerprintSha256(C)), 'the presented fingerprint');
    assert.ok(error.message.includes(fingerprintSha256(A)), 'the recorded fingerprint');
    assert.ok(error.message.includes(`${FIXTURE}:5`));
    assert.match(error.hint ?? '', /ssh-keygen -R/);
    return true;
  });
});

test('host key policy: unknown hosts are refused when strict, recorded with accept-new, let through when off', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-kh-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'known_hosts');
  const options = { hostName: 'new', address: '192.0.2.7', port: 2200, knownHostsFiles: [file, FIXTURE] };
  const strict = await prepareHostKeyCheck({ ...options, checking: 'strict' });
  await assert.rejects(strict.verify(C), (error: DrbookError) => {
    assert.match(error.message, /\[192\.0\.2\.7\]:2200 is unknown/);
    assert.match(error.hint ?? '', /accept-new/);
    return true;
  });
  await (await prepareHostKeyCheck({ ...options, checking: 'off' })).verify(C);
  await assert.rejects(readFile(file), /ENOENT/, "'off' records nothing");
  await (await prepareHostKeyCheck({ ...options, checking: 'accept-new' })).verify(C);
  assert.equal(await readFile(file, 'utf8'), `[192.0.2.7]:2200 ssh-ed25519 ${C.toString('base64')}\n`);
  await (await prepareHostKeyCheck({ ...options, checking: 'strict' })).verify(C); // now known
});

test('host key policy: revoked and other-type keys are refused even with accept-new', async () => {
  const check = await prepareHostKeyCheck({ hostName: 'w', address: 'm1.wild.example.com', port: 22, knownHostsFiles: [FIXTURE], checking: 'accept-new' });
  await assert.rejects(check.verify(B), /REVOKED/);
  const ecdsa = await prepareHostKeyCheck({ hostName: 'e', address: 'ecdsa-only.example.com', port: 22, knownHostsFiles: [FIXTURE], checking: 'accept-new' });
  await assert.rejects(ecdsa.verify(A), /only other key types are recorded/);
  assert.equal(ecdsa.algorithms[0], 'ecdsa-sha2-nistp256', 'the recorded key type is asked for first');
});
