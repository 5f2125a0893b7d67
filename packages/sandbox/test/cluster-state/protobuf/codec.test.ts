// The object codec on bytes derived by hand from the real generated code
// (k8s.io/api core/v1 generated.pb.go: non-pointer fields are always written, maps in
// sorted key order, metav1.Time as {seconds, nanos}), and the JSON rules of Go's
// encoding/json that the sandbox API server must follow when it serves what it decoded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeStoredObject, DecodeError, encodeStoredObject, EncodeError } from '../../../src/cluster-state/protobuf/storage-value.js';
import { encodeUnknown } from '../../../src/cluster-state/protobuf/envelope.js';
import { ProtoWriter } from '../../../src/cluster-state/protobuf/wire.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const ascii = (text: string) => Buffer.from(text).toString('hex');

/** A value of kind `kind` whose raw object is built field by field. */
function stored(apiVersion: string, kind: string, build: (w: ProtoWriter) => void): Buffer {
  const raw = new ProtoWriter();
  build(raw);
  return encodeUnknown({ apiVersion, kind, raw: raw.finish() });
}
const metaNamed = (name: string) => {
  const meta = new ProtoWriter();
  meta.writeString(1, name);
  return meta;
};

test('a ConfigMap is stored as Go writes it: every ObjectMeta string, generation and creationTimestamp, sorted data', () => {
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'demo' }, data: { b: '2', a: '1' } };
  const expected = hex(
    [
      '6b387300', // k8s\0
      `0a0f 0a02${ascii('v1')} 1209${ascii('ConfigMap')}`, // typeMeta
      '1226', // raw, 38 bytes:
      // metadata: name, then generateName, namespace, selfLink, uid, resourceVersion (all ""), generation 0, creationTimestamp (zero: empty)
      `0a14 0a04${ascii('demo')} 1200 1a00 2200 2a00 3200 3800 4200`,
      `1206 0a01${ascii('a')} 1201${ascii('1')}`, // data, key "a" first
      `1206 0a01${ascii('b')} 1201${ascii('2')}`,
      '1a00 2200', // contentEncoding, contentType
    ].join(''),
  );
  const encoded = encodeStoredObject(configMap, PROTOBUF);
  assert.equal(encoded.toString('hex'), expected.toString('hex'));
  assert.deepEqual(decodeStoredObject(encoded), { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'demo' }, data: { a: '1', b: '2' } });
});

test('zero values are served as Go serves them: kept fields, structs always, pointers as set', () => {
  const node = decodeStoredObject(stored('v1', 'Node', (w) => w.writeMessage(1, metaNamed('n'))));
  assert.deepEqual(node, {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: { name: 'n' },
    spec: {},
    status: {
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: '',
        osImage: '',
        containerRuntimeVersion: '',
        kubeletVersion: '',
        kubeProxyVersion: '',
        operatingSystem: '',
        architecture: '',
      },
    },
  });
  const pod = decodeStoredObject(stored('v1', 'Pod', (w) => w.writeMessage(1, metaNamed('p'))));
  assert.deepEqual(pod, { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec: { containers: null }, status: {} });

  // A pointer set to zero stays (replicas: 0, started: false); a non-pointer zero goes (minReadySeconds).
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', generation: 3 },
    spec: { replicas: 0, selector: { matchLabels: { app: 'd' } }, template: { metadata: {}, spec: { containers: [{ name: 'c', resources: {} }] } }, strategy: { type: 'Recreate' } },
    status: {},
  };
  assert.deepEqual(decodeStoredObject(encodeStoredObject({ ...deployment, spec: { ...deployment.spec, minReadySeconds: 0 } }, PROTOBUF)), deployment);
});

test('times: RFC 3339 at seconds precision; a zero time is null, or left out where Go says omitzero', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', creationTimestamp: '2026-11-23T09:20:09Z' },
    spec: { containers: [{ name: 'c', resources: {} }] },
    status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-11-23T09:20:09Z' }], startTime: '2026-11-23T09:20:09Z' },
  };
  assert.deepEqual(decodeStoredObject(encodeStoredObject(pod, PROTOBUF)), pod);
  // Sub-second input is stored at seconds precision, as metav1.Time does.
  const precise = decodeStoredObject(encodeStoredObject({ ...pod, metadata: { name: 'p', creationTimestamp: '2026-11-23T09:20:09.987Z' } }, PROTOBUF));
  assert.equal((precise.metadata as { creationTimestamp: string }).creationTimestamp, '2026-11-23T09:20:09Z');
  const zero = decodeStoredObject(encodeStoredObject({ ...pod, metadata: { name: 'p' } }, PROTOBUF));
  assert.equal('creationTimestamp' in (zero.metadata as object), false);
});

test('IntOrString, quantities, base64 bytes, negative and large integers, unicode survive a round trip', () => {
  const objects = [
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'ds', labels: { ünï: 'cödé ✓' } },
      spec: {
        selector: null,
        template: { metadata: {}, spec: { containers: [{ name: 'c', resources: { limits: { cpu: '500m', memory: '4014252Ki' } } }] } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 0 } },
      },
      status: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0, observedGeneration: 2 ** 40 + 3 },
    },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', deletionGracePeriodSeconds: -1 }, data: { bin: Buffer.from([0, 255, 1]).toString('base64'), empty: '' }, type: 'Opaque' },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc' },
      spec: {
        ports: [
          { port: 443, targetPort: 6443 },
          { port: 80, targetPort: 'http' },
        ],
      },
      status: { loadBalancer: {} },
    },
  ];
  for (const object of objects) {
    const { apiVersion, kind, ...rest } = object;
    assert.deepEqual(decodeStoredObject(encodeStoredObject(object, PROTOBUF)), { kind, apiVersion, ...rest }, kind);
  }
});

test('fields the subset does not know are skipped, whatever their wire type and depth', () => {
  const value = stored('v1', 'Node', (w) => {
    const meta = metaNamed('n1');
    meta.writeString(99, 'a field of a future ObjectMeta');
    w.writeMessage(1, meta);
    w.writeVarintField(50, 12345);
    w.writeString(51, 'future');
    const spec = new ProtoWriter();
    spec.writeVarintField(4, 1); // unschedulable
    spec.writeString(77, 'x');
    w.writeMessage(2, spec);
  });
  const withFixed = Buffer.concat([value, Buffer.from([0x99, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0x9d, 0x06, 1, 2, 3, 4])]);
  // The extra bytes sit after the envelope's last field: envelope field 99 as a fixed64, then as a fixed32.
  for (const bytes of [value, withFixed]) {
    const node = decodeStoredObject(bytes) as { metadata: object; spec: object };
    assert.deepEqual(node.metadata, { name: 'n1' });
    assert.deepEqual(node.spec, { unschedulable: true });
  }
});

test('what cannot be decoded is a DecodeError saying why and where', () => {
  const node = encodeStoredObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } }, PROTOBUF);
  const truncated = Buffer.from(node);
  truncated[node.indexOf(Buffer.from('Node')) + 5] = 0x7f; // the raw object's length now runs past the end
  const cases: Array<[Uint8Array, RegExp]> = [
    [truncated, /envelope \(runtime\.Unknown\) is damaged: length 127 at byte \d+ runs past the end/],
    [stored('v1', 'Node', (w) => w.writeVarintField(2, 1)), /^Node \(Node\): field 2 has wire type 0, expected length-delimited$/],
    [stored('v1', 'Node', (w) => w.writeBytes(1, Uint8Array.from([0x0a, 0x09, 0x61]))), /^Node\.metadata \(ObjectMeta\): length 9 at byte 1 runs past the end of its message \(1 bytes left\)$/],
    [stored('coordination.k8s.io/v1', 'Lease', () => {}), /protobuf of coordination\.k8s\.io\/v1 Lease: not a kind the sandbox decodes \(v1 Namespace, v1 Node, v1 Pod/],
    [stored('', '', () => {}), /protobuf of no kind \(empty typeMeta\)/],
    [encodeUnknown({ apiVersion: 'v1', kind: 'Node', raw: new Uint8Array(0), contentEncoding: 'gzip' }), /content encoding "gzip" of the k8s\\0 envelope is not supported/],
    [Buffer.from('k8s:enc:aescbc:v1:key1:\x00\x01\x02'), /^encrypted at rest \(provider aescbc, key key1\); the sandbox API server has no encryption keys$/],
    [Buffer.from([0x01, 0x02, 0x03]), /^neither protobuf \(no k8s\\0 prefix\) nor JSON: the value starts with 0x01 0x02 0x03$/],
    [new Uint8Array(0), /starts with nothing \(it is empty\)/],
    [Buffer.from('{"kind":"Node"'), /^not valid JSON: /],
    [Buffer.from('{"kind":"ConfigMap"}'), /^JSON, but no Kubernetes object \(no metadata\)$/],
    [
      stored('v1', 'Node', (w) => {
        const meta = new ProtoWriter();
        const entry = new ProtoWriter();
        entry.writeString(1, 'f:x');
        meta.writeMessage(
          17,
          (() => {
            const m = new ProtoWriter();
            const f = new ProtoWriter();
            f.writeString(1, '{not json');
            m.writeMessage(7, f);
            return m;
          })(),
        );
        w.writeMessage(1, meta);
      }),
      /^Node\.metadata\.managedFields\[0\]\.fieldsV1 \(FieldsV1\): not valid JSON/,
    ],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(
      () => decodeStoredObject(bytes),
      (error: unknown) => error instanceof DecodeError && message.test((error as Error).message),
      `${message}`,
    );
  }
});

test('JSON values decode as stored; JSON encoding writes kind and apiVersion first and a newline, as Go does', () => {
  const json = encodeStoredObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } }, 'application/json');
  assert.equal(json.toString(), '{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"demo"}}\n');
  assert.deepEqual(decodeStoredObject(json), { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'demo' } });
  assert.deepEqual(decodeStoredObject(Buffer.from('  \n{"metadata":{"name":"x"}}')), { metadata: { name: 'x' } });
});

test('the encoder refuses what it would lose or mangle, naming the field', () => {
  const pod = (spec: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1' }, spec, status: {} });
  const cases: Array<[object, RegExp]> = [
    [pod({ containerz: [] }), /^Pod web-1\.spec\.containerz: not a field of PodSpec known to drbook's protobuf subset$/],
    [pod({ containers: [{ name: 'c', volumeMounts: [{ name: 'v', mountPath: '/x', color: 'red' }] }] }), /^Pod web-1\.spec\.containers\[0\]\.volumeMounts\[0\]\.color: not a field of VolumeMount/],
    [pod({ volumes: [{ name: 'v', hostPath: { path: '/x', colour: 1 } }] }), /^Pod web-1\.spec\.volumes\[0\]\.hostPath\.colour: not a field of HostPathVolumeSource/],
    [pod({ containers: 'c' }), /^Pod web-1\.spec\.containers: expected a list, got "c"$/],
    [pod({ containers: [{ name: 'c', ports: [{ containerPort: 2 ** 31 }] }] }), /containerPort: 2147483648 does not fit in an int32$/],
    [pod({ nodeSelector: { a: 1 } }), /^Pod web-1\.spec\.nodeSelector\["a"\]: expected a string, got 1$/],
    [pod({ hostNetwork: 'yes' }), /hostNetwork: expected true or false, got "yes"$/],
    [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', creationTimestamp: 'yesterday' } }, /creationTimestamp: expected an RFC 3339 time, got "yesterday"$/],
    [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'not base64!' } }, /data\["k"\]: expected base64 data/],
    [{ apiVersion: 'v1', kind: 'Lease', metadata: { name: 'l' } }, /^v1 Lease: not a kind the sandbox encodes/],
  ];
  for (const [object, message] of cases) {
    assert.throws(
      () => encodeStoredObject(object as never, PROTOBUF),
      (error: unknown) => error instanceof EncodeError && message.test((error as Error).message),
      `${message}`,
    );
  }
});
