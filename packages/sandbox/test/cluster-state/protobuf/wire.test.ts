import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoReader, ProtoWriter, WireError } from '../../../src/cluster-state/protobuf/wire.js';

const bytesOf = (write: (w: ProtoWriter) => void) => {
  const writer = new ProtoWriter();
  write(writer);
  return [...writer.finish()];
};

test('varints: the encodings of the protobuf specification', () => {
  assert.deepEqual(
    bytesOf((w) => w.writeVarint(1)),
    [0x01],
  );
  assert.deepEqual(
    bytesOf((w) => w.writeVarint(150)),
    [0x96, 0x01],
  );
  assert.deepEqual(
    bytesOf((w) => w.writeVarint(2 ** 32)),
    [0x80, 0x80, 0x80, 0x80, 0x10],
  );
  // Negative int32 and int64 take 10 bytes (two's complement on 64 bits).
  assert.deepEqual(
    bytesOf((w) => w.writeVarint(-1)),
    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  );
  // A tag: field 1, wire type 2.
  assert.deepEqual(
    bytesOf((w) => w.writeString(1, 'ab')),
    [0x0a, 0x02, 0x61, 0x62],
  );
});

test('readSigned reads back every size, including negative and beyond 2^32', () => {
  for (const value of [0, 1, 127, 128, 300, 2 ** 31 - 1, -1, -(2 ** 31), 2 ** 40 + 7, -62135596800, Number.MAX_SAFE_INTEGER]) {
    const reader = new ProtoReader(Uint8Array.from(bytesOf((w) => w.writeVarint(value))));
    assert.equal(reader.readSigned(), value, String(value));
    assert.equal(reader.done, true);
  }
});

test('unknown fields of every wire type are skipped; groups and bad input are WireErrors naming the byte', () => {
  const writer = new ProtoWriter();
  writer.writeVarintField(20, 99);
  writer.writeString(21, 'later');
  const data = Buffer.concat([writer.finish(), Buffer.from([(12 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8, (13 << 3) | 5, 1, 2, 3, 4, 0x08, 0x07])]);
  const reader = new ProtoReader(data);
  const seen: number[] = [];
  while (!reader.done) {
    const { field, wire, at } = reader.readTag();
    if (field === 1) seen.push(reader.readVarint());
    else reader.skip(wire, at);
  }
  assert.deepEqual(seen, [7]);

  assert.throws(() => new ProtoReader(Uint8Array.from([0x96])).readVarint(), /truncated varint at byte 0/);
  assert.throws(() => new ProtoReader(Uint8Array.from([0x05, 0x61])).readBytes(), /length 5 at byte 0 runs past the end of its message \(1 bytes left\)/);
  const group = new ProtoReader(Uint8Array.from([0x0b]));
  const tag = group.readTag();
  assert.throws(
    () => group.skip(tag.wire, tag.at),
    (error: unknown) => error instanceof WireError && /wire type 3 at byte 0/.test((error as Error).message),
  );
  assert.throws(() => new ProtoReader(Uint8Array.from([0x00])).readTag(), /invalid field number 0/);
  assert.throws(() => new ProtoReader(Uint8Array.from(Array(11).fill(0xff))).readVarintBig(), /longer than 10 bytes/);
  assert.throws(() => new ProtoReader(Uint8Array.from([1, 2])).skip(5, 0), /fixed-size field at byte 0/);
});

test('a reader stays inside its slice', () => {
  const data = Uint8Array.from([0x08, 0x01, 0x08, 0x02]);
  const reader = new ProtoReader(data, 0, 2);
  reader.readTag();
  assert.equal(reader.readVarint(), 1);
  assert.equal(reader.done, true);
});
