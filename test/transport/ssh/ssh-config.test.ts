import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/core/errors.js';
import type { Host, SshSettings } from '../../../src/core/inventory.js';
import { matchPattern, matchPatternList } from '../../../src/transport/ssh/patterns.js';
import { hostFromJumpSpec, resolveSshTarget } from '../../../src/transport/ssh/resolve-target.js';
import { expandTokens, resolveSshConfig } from '../../../src/transport/ssh/ssh-config.js';
import { fixture } from '../../support/fixtures.js';

const CONFIG = fixture('ssh', 'config');
const host = (name: string, ssh: SshSettings = {}): Host => ({ name, connection: 'ssh', ssh, vars: {}, groups: [] });
const options = { sshConfigFile: CONFIG, home: '/home/op', localUser: 'op', env: {} };

test('patterns: *, ?, case-insensitive, negation wins', () => {
  assert.ok(matchPattern('m?', 'm1'));
  assert.ok(!matchPattern('m?', 'm10'));
  assert.ok(matchPattern('*.lab', 'db.LAB'));
  assert.ok(matchPattern('a*b*c', 'axxbyyc'));
  assert.ok(!matchPattern('a*b*c', 'axxbyy'));
  assert.ok(matchPatternList(['m?', '!m9'], 'm1'));
  assert.ok(!matchPatternList(['m?', '!m9'], 'm9'));
  assert.ok(!matchPatternList(['!m9'], 'm1'), 'a list of only negations matches nothing');
});

test('first obtained value wins; IdentityFile accumulates; Host * supplies the rest', () => {
  const m1 = resolveSshConfig(CONFIG, 'm1');
  assert.equal(m1.hostName, '10.0.0.11');
  assert.equal(m1.user, 'admin');
  assert.equal(m1.port, 2201);
  assert.deepEqual(m1.identityFiles, ['~/.ssh/id_m1', '%d/.ssh/id_%h_%r']);
  assert.equal(m1.proxyJump, 'bastion');
  assert.equal(m1.strictHostKeyChecking, 'accept-new');
  assert.equal(m1.connectTimeoutSec, 7);
  assert.equal(m1.serverAliveIntervalSec, 20);
  assert.equal(m1.serverAliveCountMax, 5, 'Key=value form');
  const m2 = resolveSshConfig(CONFIG, 'm2');
  assert.equal(m2.port, 2299);
  assert.equal(m2.user, 'ops');
});

test('a negated pattern keeps a Host block from applying', () => {
  const m9 = resolveSshConfig(CONFIG, 'm9');
  assert.equal(m9.proxyJump, undefined);
  assert.equal(m9.user, 'fallback');
});

test('quoted patterns, %h in HostName, several UserKnownHostsFile values, Include with a wildcard', () => {
  assert.equal(resolveSshConfig(CONFIG, 'quoted alias').hostName, 'quoted.example.com');
  const lab = resolveSshConfig(CONFIG, 'db.lab');
  assert.equal(lab.hostName, 'db.lab.example.com');
  assert.deepEqual(lab.userKnownHostsFiles, ['/etc/drbook/known_hosts', '~/.ssh/known_hosts_lab']);
  const extra = resolveSshConfig(CONFIG, 'extra');
  assert.equal(extra.hostName, 'extra.example.com');
  assert.equal(extra.port, 2022);
  assert.deepEqual(resolveSshConfig('/nonexistent/config', 'm1'), { identityFiles: [] });
});

test('an Include inside a Host block applies only to that block', () => {
  const files: Record<string, string> = {
    '/v/config': 'Host a\n  Include inc\nHost *\n  User default\n',
    '/v/inc': 'Port 2001\nUser from-include\n',
  };
  const read = (path: string) => files[path];
  assert.deepEqual(resolveSshConfig('/v/config', 'a', read), { identityFiles: [], port: 2001, user: 'from-include' });
  assert.deepEqual(resolveSshConfig('/v/config', 'b', read), { identityFiles: [], user: 'default' });
});

test('a bad value names the file and line', () => {
  const read = () => 'Host x\n  Port twenty\n';
  assert.throws(
    () => resolveSshConfig('/virtual/config', 'x', read),
    (error: InputError) => {
      assert.equal(error.issues[0]!.line, 2);
      assert.match(error.message, /\/virtual\/config:2:1: port: expected a port number, got "twenty"/);
      return true;
    },
  );
});

test('tokens: ~, %d %u %h %r %p %n %% and ${ENV}', () => {
  const ctx = { home: '/home/op', localUser: 'op', alias: 'm1', host: '10.0.0.11', port: 2201, user: 'admin' };
  assert.equal(expandTokens('~/.ssh/id_%h_%r_%p', ctx), '/home/op/.ssh/id_10.0.0.11_admin_2201');
  assert.equal(expandTokens('%d/%u/%n/100%%', ctx), '/home/op/op/m1/100%');
  assert.equal(expandTokens('${KEYS}/k', ctx, { KEYS: '/keys' }), '/keys/k');
});

test('an inventory host resolves through ssh_config, with the jump host resolved the same way', () => {
  const target = resolveSshTarget(host('m1'), options);
  assert.equal(target.address, '10.0.0.11');
  assert.equal(target.port, 2201);
  assert.equal(target.user, 'admin');
  assert.deepEqual(target.identityFiles, ['/home/op/.ssh/id_m1', '/home/op/.ssh/id_10.0.0.11_admin']);
  assert.equal(target.identityFilesExplicit, true);
  assert.equal(target.hostKeyChecking, 'accept-new');
  assert.equal(target.connectTimeoutMs, 7000);
  assert.equal(target.keepaliveIntervalMs, 20_000);
  assert.equal(target.keepaliveCountMax, 5);
  assert.equal(target.maxChannels, 10);
  assert.deepEqual(target.knownHostsFiles, ['/home/op/.ssh/known_hosts', '/home/op/.ssh/known_hosts2', '/etc/ssh/ssh_known_hosts']);
  assert.equal(target.jumps.length, 1);
  assert.equal(target.jumps[0]!.address, 'bastion.example.com');
  assert.equal(target.jumps[0]!.user, 'jump');
  assert.equal(target.jumps[0]!.port, 22);
});

test("the inventory's explicit settings win over ssh_config", () => {
  const target = resolveSshTarget(
    host('m1', { port: 22, user: 'root', identityFile: '~/keys/k', hostKeyChecking: 'strict', knownHostsFile: '/inv/known_hosts', proxyJump: 'none', maxChannels: 4, become: true }),
    options,
  );
  assert.equal(target.address, '10.0.0.11', 'the alias still maps through HostName');
  assert.equal(target.port, 22);
  assert.equal(target.user, 'root');
  assert.deepEqual(target.identityFiles, ['/home/op/keys/k']);
  assert.equal(target.hostKeyChecking, 'strict');
  assert.deepEqual(target.knownHostsFiles, ['/inv/known_hosts'], 'an explicit file is the only one');
  assert.deepEqual(target.jumps, []);
  assert.equal(target.maxChannels, 4);
  assert.equal(target.become, true);
});

test('without any config: OpenSSH defaults, local user, default key names (not explicit)', () => {
  const target = resolveSshTarget(host('plain'), { ...options, sshConfigFile: null });
  assert.equal(target.address, 'plain');
  assert.equal(target.port, 22);
  assert.equal(target.user, 'op');
  assert.equal(target.identityFilesExplicit, false);
  assert.deepEqual(target.identityFiles, ['/home/op/.ssh/id_rsa', '/home/op/.ssh/id_ecdsa', '/home/op/.ssh/id_ed25519']);
  assert.equal(target.connectTimeoutMs, 10_000);
  assert.equal(target.keepaliveIntervalMs, 15_000);
  assert.equal(target.hostKeyChecking, 'strict');
});

test('a jump host from the inventory brings its own jump host first, and inherits known_hosts', () => {
  const inventory: Record<string, Host> = {
    bastion: host('bastion', { address: '192.0.2.1', port: 2200, proxyJump: 'edge@outer.example.com:2022' }),
  };
  const target = resolveSshTarget(host('db', { address: '10.1.0.5', proxyJump: 'bastion', knownHostsFile: '/inv/kh', identityFile: '/keys/id' }), {
    ...options,
    sshConfigFile: null,
    findHost: (name) => inventory[name],
  });
  assert.deepEqual(
    target.jumps.map((j) => `${j.user}@${j.address}:${j.port}`),
    ['edge@outer.example.com:2022', 'op@192.0.2.1:2200'],
  );
  assert.deepEqual(target.jumps[1]!.knownHostsFiles, ['/inv/kh']);
  assert.deepEqual(target.jumps[1]!.identityFiles, ['/keys/id']);
});

test('jump specs parse as [user@]host[:port]; loops and nonsense are input errors', () => {
  assert.deepEqual(hostFromJumpSpec('ops@[::1]:2022', 'x').ssh, { address: '::1', user: 'ops', port: 2022 });
  assert.deepEqual(hostFromJumpSpec('ssh://gw', 'x').ssh, { address: 'gw', user: undefined, port: undefined });
  assert.throws(() => hostFromJumpSpec('a b', 'x'), /expected an inventory host or \[user@\]host\[:port\]/);
  const inventory: Record<string, Host> = { a: host('a', { proxyJump: 'b' }), b: host('b', { proxyJump: 'a' }) };
  assert.throws(
    () => resolveSshTarget(inventory.a!, { ...options, sshConfigFile: null, findHost: (n) => inventory[n] }),
    (error: InputError) => error instanceof InputError && /loop: a -> b -> a/.test(error.message),
  );
});
