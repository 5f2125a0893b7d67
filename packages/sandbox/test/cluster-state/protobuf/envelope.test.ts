// The k8s\0 storage envelope against the real serializer's own tests: the byte arrays
// below are quoted from kubernetes/apimachinery pkg/test/runtime_serializer_protobuf_protobuf_test.go
// (commit eed236ceee2c19c2753a3d93ac0631dc20750454): TestRecognize lines 88-104,
// TestEncode lines 112-132, TestProtobufDecode lines 216-224.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeUnknown, encodeUnknown, hasProtobufMagic } from '../../../src/cluster-state/protobuf/envelope.js';
import { DecodeError } from '../../../src/cluster-state/protobuf/decode.js';

// TestEncode: an object with no kind and empty data ...
const ENCODE_WIRE1 = Buffer.from([
  0x6b,
  0x38,
  0x73,
  0x00, // prefix
  0x0a,
  0x04,
  0x0a,
  0x00, // apiversion
  0x12,
  0x00, // kind
  0x12,
  0x00, // data
  0x1a,
  0x00, // content-type
  0x22,
  0x00, // content-encoding
]);
// ... and one of kind "test" in group other/version with data 01 02 03.
const ENCODE_WIRE2 = Buffer.from([
  0x6b,
  0x38,
  0x73,
  0x00, // prefix
  0x0a,
  0x15,
  0x0a,
  0x0d,
  0x6f,
  0x74,
  0x68,
  0x65,
  0x72,
  0x2f,
  0x76,
  0x65,
  0x72,
  0x73,
  0x69,
  0x6f,
  0x6e, // apiversion
  0x12,
  0x04,
  0x74,
  0x65,
  0x73,
  0x74, // kind
  0x12,
  0x03,
  0x01,
  0x02,
  0x03, // data
  0x1a,
  0x00, // content-type
  0x22,
  0x00, // content-encoding
]);
// TestProtobufDecode: raw that itself starts with the magic bytes.
const DECODE_WIRE2 = Buffer.from([
  0x6b,
  0x38,
  0x73,
  0x00, // prefix
  0x0a,
  0x15,
  0x0a,
  0x0d,
  0x6f,
  0x74,
  0x68,
  0x65,
  0x72,
  0x2f,
  0x76,
  0x65,
  0x72,
  0x73,
  0x69,
  0x6f,
  0x6e, // apiversion
  0x12,
  0x04,
  0x74,
  0x65,
  0x73,
  0x74, // kind
  0x12,
  0x07,
  0x6b,
  0x38,
  0x73,
  0x00,
  0x01,
  0x02,
  0x03, // data
  0x1a,
  0x00, // content-type
  0x22,
  0x00, // content-encoding
]);

test('encodeUnknown writes exactly the bytes of the real serializer (TestEncode)', () => {
  assert.deepEqual(encodeUnknown({ apiVersion: '', kind: '', raw: new Uint8Array(0) }), ENCODE_WIRE1);
  assert.deepEqual(encodeUnknown({ apiVersion: 'other/version', kind: 'test', raw: Uint8Array.from([1, 2, 3]) }), ENCODE_WIRE2);
});

test("decodeUnknown reads the real serializer's envelopes back (TestEncode, TestProtobufDecode)", () => {
  const empty = decodeUnknown(ENCODE_WIRE1);
  assert.deepEqual({ ...empty, raw: [...empty.raw] }, { apiVersion: '', kind: '', raw: [], contentEncoding: '', contentType: '' });
  const decoded = decodeUnknown(DECODE_WIRE2);
  assert.equal(decoded.apiVersion, 'other/version');
  assert.equal(decoded.kind, 'test');
  assert.deepEqual([...decoded.raw], [0x6b, 0x38, 0x73, 0x00, 0x01, 0x02, 0x03]);
});

test('the magic bytes are recognised as the real serializer recognises them (TestRecognize)', () => {
  for (const ignored of [new Uint8Array(0), Buffer.from('k8s'), Uint8Array.from([0x6b, 0x38, 0x73, 0x01])]) assert.equal(hasProtobufMagic(ignored), false);
  for (const recognised of [Uint8Array.from([0x6b, 0x38, 0x73, 0x00]), Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x01])]) assert.equal(hasProtobufMagic(recognised), true);
});

test('a damaged envelope is a DecodeError saying where, never a crash', () => {
  // The typeMeta's length (0x15) promises more bytes than there are.
  assert.throws(
    () => decodeUnknown(ENCODE_WIRE2.subarray(0, 12)),
    (error: unknown) => error instanceof DecodeError && /envelope \(runtime\.Unknown\) is damaged: length 21 at byte 5 runs past the end/.test((error as Error).message),
  );
  assert.throws(() => decodeUnknown(Buffer.from('{"kind":"Pod"}')), DecodeError);
  // Fields the envelope does not know (a varint 5, a fixed32 6) are skipped.
  const extended = Buffer.concat([ENCODE_WIRE2, Buffer.from([0x28, 0x96, 0x01, 0x35, 1, 2, 3, 4])]);
  assert.equal(decodeUnknown(extended).kind, 'test');
});
