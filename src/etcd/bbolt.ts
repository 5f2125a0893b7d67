// A read-only reader of bbolt files (etcd's backend, and what a snapshot is). It lets
// drbook know exactly which keys a snapshot holds without starting an etcd or restoring
// it anywhere: the B+tree is walked in key order straight from the file's bytes, which
// may be the whole file in memory or only the pages a walk touches (readBoltLazily).
// Layout (go.etcd.io/bbolt, little-endian): pages of `pageSize` bytes; page 0 and 1 are
// meta pages (the valid one with the highest txid wins); every page starts with a
// 16-byte header {id u64, flags u16, count u16, overflow u32}; branch elements are
// {pos u32, ksize u32, pgid u64}, leaf elements {flags u32, pos u32, ksize u32,
// vsize u32}, `pos` counted from the element itself. A leaf value flagged as a bucket
// is {root pgid u64, sequence u64}, followed by an inline page when root is 0.

const PAGE_HEADER = 16;
const ELEMENT = 16;
const MAGIC = 0xed0cdaed;
const BRANCH = 0x01;
const LEAF = 0x02;
const META = 0x04;
const BUCKET_LEAF = 0x01;
const MAX_DEPTH = 64;

export class BoltFormatError extends Error {
  constructor(message: string) {
    super(`not a readable bbolt database: ${message}`);
    this.name = 'BoltFormatError';
  }
}

export interface BoltEntry {
  key: Buffer;
  value: Buffer;
  isBucket: boolean;
}

/** Where a bucket's tree starts: a page id, or an inline page inside its parent. */
type Root = { pgid: bigint } | { inline: Buffer };

/**
 * The bytes of a bbolt file by offset. A plain Buffer is one; so is a partly loaded file
 * (readBoltLazily), which throws MissingBytes for a range it has not fetched yet. A read
 * may return fewer bytes than asked at the end of the file.
 */
export interface BoltBytes {
  read(offset: number, length: number): Buffer;
}

/** Thrown by a partly loaded file for a range that must be fetched first. */
export class MissingBytes extends Error {
  constructor(
    readonly offset: number,
    readonly length: number,
  ) {
    super(`bytes ${offset}+${length} are not loaded`);
    this.name = 'MissingBytes';
  }
}

function bytesOfBuffer(data: Buffer): BoltBytes {
  return { read: (offset, length) => data.subarray(offset, offset + length) };
}

export class BoltReader {
  readonly pageSize: number;
  readonly txid: bigint;
  private readonly root: Root;
  private readonly bytes: BoltBytes;

  constructor(data: Buffer | BoltBytes) {
    this.bytes = Buffer.isBuffer(data) ? bytesOfBuffer(data) : data;
    const meta = readBoltMeta(this.bytes.read(0, BOLT_HEAD_BYTES));
    if (!meta) throw new BoltFormatError('no valid meta page (bad magic, version or checksum)');
    this.pageSize = meta.pageSize;
    this.txid = meta.txid;
    this.root = { pgid: meta.root };
  }

  /** The top-level bucket names. */
  bucketNames(): string[] {
    return [...this.walk(this.root, 0)].filter((e) => e.isBucket).map((e) => e.key.toString('utf8'));
  }

  /** Every entry of a top-level bucket in key order; empty when the bucket does not exist. */
  *bucket(name: string): Generator<BoltEntry> {
    for (const entry of this.walk(this.root, 0)) {
      if (entry.isBucket && entry.key.toString('utf8') === name) {
        yield* this.walk(this.bucketRoot(entry.value), 0);
        return;
      }
    }
  }

  private bucketRoot(value: Buffer): Root {
    if (value.length < 16) throw new BoltFormatError('bucket header shorter than 16 bytes');
    const pgid = value.readBigUInt64LE(0);
    return pgid === 0n ? { inline: value.subarray(16) } : { pgid };
  }

  private page(root: Root): Buffer {
    if ('inline' in root) return root.inline;
    const offset = Number(root.pgid) * this.pageSize;
    if (root.pgid < 2n) throw new BoltFormatError(`page ${root.pgid} is outside the file`);
    const first = this.bytes.read(offset, this.pageSize);
    if (first.length < PAGE_HEADER) throw new BoltFormatError(`page ${root.pgid} is outside the file`);
    const overflow = first.readUInt32LE(12);
    return overflow === 0 ? first : this.bytes.read(offset, (overflow + 1) * this.pageSize);
  }

  private *walk(root: Root, depth: number): Generator<BoltEntry> {
    if (depth > MAX_DEPTH) throw new BoltFormatError('tree deeper than 64 levels (a page cycle?)');
    const page = this.page(root);
    const flags = page.readUInt16LE(8);
    const count = page.readUInt16LE(10);
    if (PAGE_HEADER + count * ELEMENT > page.length) throw new BoltFormatError(`page ${describePage(root)} holds more elements than fit in it`);
    for (let i = 0; i < count; i++) {
      const at = PAGE_HEADER + i * ELEMENT;
      if (flags & BRANCH) {
        yield* this.walk({ pgid: page.readBigUInt64LE(at + 8) }, depth + 1);
      } else if (flags & LEAF) {
        const elementFlags = page.readUInt32LE(at);
        const pos = at + page.readUInt32LE(at + 4);
        const ksize = page.readUInt32LE(at + 8);
        const vsize = page.readUInt32LE(at + 12);
        if (pos + ksize + vsize > page.length) throw new BoltFormatError(`element ${i} of page ${describePage(root)} runs past the page`);
        yield {
          key: page.subarray(pos, pos + ksize),
          value: page.subarray(pos + ksize, pos + ksize + vsize),
          isBucket: (elementFlags & BUCKET_LEAF) !== 0,
        };
      } else {
        throw new BoltFormatError(`page ${describePage(root)} is neither a branch nor a leaf (flags 0x${flags.toString(16)})`);
      }
    }
  }
}

function describePage(root: Root): string {
  return 'inline' in root ? '(inline)' : String(root.pgid);
}

export interface BoltMeta {
  pageSize: number;
  root: bigint;
  txid: bigint;
  /** High-water mark: the db's pages are 0..pages-1, so it spans pages × pageSize bytes. */
  pages: bigint;
}
type Meta = BoltMeta;

function readMeta(data: Buffer, offset: number): Meta | null {
  const at = offset + PAGE_HEADER;
  if (at + 64 > data.length) return null;
  if (!(data.readUInt16LE(offset + 8) & META)) return null;
  if (data.readUInt32LE(at) !== MAGIC || data.readUInt32LE(at + 4) !== 2) return null;
  if (fnv64a(data.subarray(at, at + 56)) !== data.readBigUInt64LE(at + 56)) return null;
  const pageSize = data.readUInt32LE(at + 8);
  if (pageSize < 512 || pageSize > 1 << 20) return null;
  return { pageSize, root: data.readBigUInt64LE(at + 16), txid: data.readBigUInt64LE(at + 48), pages: data.readBigUInt64LE(at + 40) };
}

/** The meta bbolt uses (valid, highest txid) from the first bytes of a file (two pages are enough); null if none is valid. */
export function readBoltMeta(head: Buffer): BoltMeta | null {
  const first = readMeta(head, 0);
  const candidates = first ? [first, readMeta(head, first.pageSize)] : [4096, 8192, 16384].map((size) => readMeta(head, size));
  const valid = candidates.filter((m): m is Meta => Boolean(m));
  return valid.length ? valid.reduce((a, b) => (b.txid > a.txid ? b : a)) : null;
}

/** Bytes to read from the start of a file for readBoltMeta. */
export const BOLT_HEAD_BYTES = 2 * 16384 + 64;

/** Ranges fetched so far; a range fetched short (the end of the file) answers short. */
class LoadedBytes implements BoltBytes {
  private readonly ranges: Array<{ offset: number; asked: number; data: Buffer }> = [];
  add(offset: number, asked: number, data: Buffer): void {
    this.ranges.push({ offset, asked, data });
  }
  read(offset: number, length: number): Buffer {
    for (const range of this.ranges) {
      if (offset >= range.offset && offset + length <= range.offset + range.asked) {
        return range.data.subarray(offset - range.offset, offset - range.offset + length);
      }
    }
    throw new MissingBytes(offset, length);
  }
}

export interface LazyReadStats {
  /** Fetches made (each one a round trip on a remote host). */
  reads: number;
  bytes: number;
}

/**
 * Run `use` on a bbolt file that is fetched piece by piece: the head first, then each
 * page the walk touches, on demand. For small buckets of large files (the members of a
 * multi-GB snapshot): only the pages on the way are read. `use` must be deterministic
 * (it is re-run after each fetch); fetches are bounded.
 */
export async function readBoltLazily<T>(
  fetch: (offset: number, length: number) => Promise<Buffer>,
  use: (reader: BoltReader) => T,
  options: { maxReads?: number } = {},
): Promise<{ value: T; stats: LazyReadStats }> {
  const loaded = new LoadedBytes();
  const stats: LazyReadStats = { reads: 0, bytes: 0 };
  const load = async (offset: number, length: number) => {
    if (++stats.reads > (options.maxReads ?? 64)) throw new BoltFormatError(`more than ${options.maxReads ?? 64} page reads: a damaged tree?`);
    const data = await fetch(offset, length);
    stats.bytes += data.length;
    loaded.add(offset, length, data);
  };
  await load(0, BOLT_HEAD_BYTES);
  for (;;) {
    try {
      return { value: use(new BoltReader(loaded)), stats };
    } catch (error) {
      if (!(error instanceof MissingBytes)) throw error;
      await load(error.offset, error.length);
    }
  }
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

function fnv64a(bytes: Buffer): bigint {
  let hash = FNV_OFFSET;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  return hash;
}
