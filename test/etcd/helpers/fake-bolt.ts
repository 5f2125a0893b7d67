// A stand-in for a bbolt file, for tests that need a valid header but no etcd: both meta
// pages as bbolt writes them (magic, version 2, page size, high-water mark, FNV-64a
// checksum), the other pages random. Real snapshots are made by test/etcd tests with etcd.

import { createHash, randomBytes } from 'node:crypto';

const PAGE = 4096;

function fnv64a(bytes: Buffer): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & ((1n << 64n) - 1n);
  return hash;
}

/** A db of `pages` pages (at least 4). */
export function fakeBoltDb(pages: number): Buffer {
  const db = randomBytes(pages * PAGE);
  for (const [index, txid] of [
    [0, 2n],
    [1, 3n],
  ] as const) {
    const page = index * PAGE;
    db.fill(0, page, page + PAGE);
    db.writeBigUInt64LE(BigInt(index), page);
    db.writeUInt16LE(0x04, page + 8); // meta page
    const meta = page + 16;
    db.writeUInt32LE(0xed0cdaed, meta);
    db.writeUInt32LE(2, meta + 4);
    db.writeUInt32LE(PAGE, meta + 8);
    db.writeBigUInt64LE(3n, meta + 16); // root bucket page
    db.writeBigUInt64LE(2n, meta + 32); // freelist page
    db.writeBigUInt64LE(BigInt(pages), meta + 40); // high-water mark
    db.writeBigUInt64LE(txid, meta + 48);
    db.writeBigUInt64LE(fnv64a(db.subarray(meta, meta + 56)), meta + 56);
  }
  return db;
}

/** The db followed by its SHA-256: what etcd's snapshot stream gives. */
export function fakeSnapshot(pages: number): Buffer {
  const db = fakeBoltDb(pages);
  return Buffer.concat([db, createHash('sha256').update(db).digest()]);
}
