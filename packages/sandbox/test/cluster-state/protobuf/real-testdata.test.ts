// The codec on real bytes: kubernetes/api's round-trip fixtures testdata/HEAD/<group>.<version>.<Kind>.pb,
// written by the real protobuf serializer, each with its .json twin, copied unchanged to
// fixtures/k8s-api-testdata (source and commit in its SOURCE.md). $DRBOOK_K8S_API_TESTDATA
// points at another copy (e.g. a newer kubernetes/api checkout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeStoredObject, encodeStoredObject, type JsonObject } from '../../../src/cluster-state/protobuf/storage-value.js';
import { messageOfKind } from '../../../src/cluster-state/protobuf/kinds.js';
import { isMessageType, type Message } from '../../../src/cluster-state/protobuf/schema.js';
import { fixture as repoFixture } from '../../support/fixtures.js';

const DIR = process.env.DRBOOK_K8S_API_TESTDATA ?? repoFixture('k8s-api-testdata');
const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** Kinds whose every field the subset declares: re-encoding gives the very same bytes. */
const COMPLETE = ['core.v1.Namespace', 'core.v1.Node', 'core.v1.Service', 'core.v1.ConfigMap', 'core.v1.Secret', 'rbac.authorization.k8s.io.v1.ClusterRole'];
const PARTIAL = ['core.v1.Pod', 'apps.v1.Deployment', 'apps.v1.ReplicaSet', 'apps.v1.DaemonSet'];

/** The JSON twin restricted to the fields the subset declares (the others are skipped when decoding). */
function project(json: unknown, message: Message): JsonObject {
  const source = json as JsonObject;
  const out: JsonObject = {};
  for (const field of message.fields) {
    const type = field.type;
    if (field.inline && isMessageType(type)) {
      Object.assign(out, project(source, type()));
      continue;
    }
    if (!(field.json in source)) continue;
    const value = source[field.json]!;
    if (isMessageType(type) && value !== null) out[field.json] = field.list ? (value as JsonObject[]).map((item) => project(item, type())) : project(value, type());
    else out[field.json] = value;
  }
  return out;
}

function fixture(name: string): { pb: Buffer; json: JsonObject } | undefined {
  const pb = join(DIR, `${name}.pb`);
  if (!existsSync(pb)) return undefined;
  return { pb: readFileSync(pb), json: JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as JsonObject };
}

for (const name of [...COMPLETE, ...PARTIAL]) {
  test(`${name}.pb (real serializer output) decodes to its .json twin`, () => {
    const data = fixture(name);
    assert.ok(data, `${join(DIR, `${name}.pb`)} or its .json twin is missing (fixtures/k8s-api-testdata/SOURCE.md says where they come from)`);
    const { kind, apiVersion } = data.json as { kind: string; apiVersion: string };
    const decoded = decodeStoredObject(data.pb);
    assert.deepEqual(decoded, { kind, apiVersion, ...project(data.json, messageOfKind(apiVersion, kind)!) });
    const again = encodeStoredObject(decoded as never, PROTOBUF);
    if (COMPLETE.includes(name)) assert.equal(again.toString('hex'), data.pb.toString('hex'), "every field is known: the bytes are the real serializer's");
    else assert.deepEqual(decodeStoredObject(again), decoded);
  });
}
