import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySkew, compareRestoreVersions, parseEtcdBinaryVersion, parseEtcdVersion, probeEtcdBinaryVersion } from '../../src/etcd/version-skew.js';
import { fakeHost } from './helpers/fake-host.js';

test('versions from tags and outputs', () => {
  assert.equal(parseEtcdVersion('v3.5.26-k3s1-build20260126')?.text, '3.5.26');
  assert.equal(parseEtcdVersion('3.5.10-0')?.text, '3.5.10');
  assert.equal(parseEtcdVersion('latest'), null);
  assert.equal(parseEtcdBinaryVersion('etcd Version: 3.4.23\nGit SHA: Not provided\nGo Version: go1.19.8\n'), '3.4.23');
  assert.equal(classifySkew(parseEtcdVersion('3.4.23'), parseEtcdVersion('3.4.13')), 'patch');
  assert.equal(classifySkew(parseEtcdVersion('3.4.23'), parseEtcdVersion('3.5.10')), 'minor');
  assert.equal(classifySkew(parseEtcdVersion('3.4.23'), null), 'unknown');
});

test('a restore tool across minor versions is named, with the version to use; same minor passes', () => {
  const skew = compareRestoreVersions({ tool: { name: 'etcdctl', version: '3.4.23' }, running: { version: '3.5.10', from: 'the image tag of registry.k8s.io/etcd:3.5.10-0' } });
  assert.equal(skew.length, 1);
  assert.equal(skew[0]!.level, 'warn');
  assert.equal(skew[0]!.kind, 'minor');
  assert.equal(
    skew[0]!.message,
    "version skew: etcdctl 3.4.23 restores for etcd 3.5.10 (from the image tag of registry.k8s.io/etcd:3.5.10-0), across minor versions: the data dir is written in 3.4's format; use the 3.5 tool (etcdutl/etcdctl 3.5.10)",
  );
  const same = compareRestoreVersions({ tool: { name: 'etcdutl', version: '3.5.9' }, running: { version: '3.5.10', from: 'x' } });
  assert.deepEqual(
    same.map((s) => [s.kind, s.level]),
    [['patch', 'ok']],
  );
  assert.match(compareRestoreVersions({ tool: { name: 'etcdctl', version: '3.4.23' } })[0]!.message, /the etcd version that runs is unknown/);
});

test('a snapshot of a newer cluster than the etcd that will run it is a downgrade, named', () => {
  const skew = compareRestoreVersions({ tool: { name: 'etcdutl', version: '3.5.10' }, running: { version: '3.5.10', from: 'x' }, snapshotClusterVersion: '3.6.0' });
  assert.equal(skew.length, 2);
  assert.match(skew[1]!.message, /taken from an etcd 3\.6 cluster, newer than the etcd 3\.5\.10 that will run it/);
  assert.equal(compareRestoreVersions({ tool: { name: 'etcdctl', version: '3.4.23' }, running: { version: '3.4.23', from: 'x' }, snapshotClusterVersion: '3.4.0' }).length, 1);
});

test('the binary is asked for its version only when it is an ELF executable', async () => {
  const elf = fakeHost({ '/usr/bin/etcd': { text: '\x7fELF....' } }, { '/usr/bin/etcd --version': { stdout: 'etcd Version: 3.4.23\n' } });
  assert.deepEqual(await probeEtcdBinaryVersion(elf, '/usr/bin/etcd'), { version: '3.4.23' });
  const script = fakeHost({ '/usr/local/bin/etcd': { text: '#!/bin/sh\ndocker run etcd\n' } });
  const result = await probeEtcdBinaryVersion(script, '/usr/local/bin/etcd');
  assert.match(result.problem!, /is not an ELF executable/);
  assert.deepEqual(script.commands, ['head -c 4 -- /usr/local/bin/etcd | od -An -v -tx1']);
});
