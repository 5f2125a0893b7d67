import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStorageMediaType, storageMediaTypeFlags } from '../../src/cluster-state/storage-media-type.js';
import { buildManifest } from '../../src/manifests.js';
import { planNodes } from '../../src/layout.js';
import { SandboxInputError } from '../../src/errors.js';

test('--storage-media-type takes the media types and the short names protobuf and json', () => {
  assert.equal(parseStorageMediaType('protobuf'), 'application/vnd.kubernetes.protobuf');
  assert.equal(parseStorageMediaType('application/vnd.kubernetes.protobuf'), 'application/vnd.kubernetes.protobuf');
  assert.equal(parseStorageMediaType('JSON'), 'application/json');
  assert.equal(parseStorageMediaType('application/json'), 'application/json');
  assert.throws(
    () => parseStorageMediaType('yaml'),
    (error: unknown) =>
      error instanceof SandboxInputError &&
      /--storage-media-type: expected application\/vnd\.kubernetes\.protobuf \(or protobuf\) or application\/json \(or json\), got "yaml"/.test((error as Error).message),
  );
});

test('the kube-apiserver manifest says --storage-media-type=application/json in JSON mode only, as a real one needs it', () => {
  assert.deepEqual(storageMediaTypeFlags('application/vnd.kubernetes.protobuf'), []);
  assert.deepEqual(storageMediaTypeFlags('application/json'), ['--storage-media-type=application/json']);
  const [node] = planNodes('/tmp/drbook-sbx', 1, '127.0.110.');
  const commandOf = (options: object) => (buildManifest('kube-apiserver', node!, options) as any).spec.containers[0].command as string[];
  assert.ok(commandOf({ storageMediaType: 'application/json' }).includes('--storage-media-type=application/json'));
  assert.equal(
    commandOf({ storageMediaType: 'application/vnd.kubernetes.protobuf' }).some((arg) => arg.startsWith('--storage-media-type')),
    false,
  );
  assert.equal(
    commandOf({}).some((arg) => arg.startsWith('--storage-media-type')),
    false,
  );
});

test('in JSON mode the flag sits where kubeadm puts an extraArg: in the sorted flag list', () => {
  const [node] = planNodes('/tmp/drbook-sbx', 1, '127.0.110.');
  const command = (buildManifest('kube-apiserver', node!, { storageMediaType: 'application/json' }) as any).spec.containers[0].command as string[];
  const flags = command.slice(1).map((arg) => arg.split('=')[0]!);
  assert.deepEqual(flags, [...flags].sort());
});
