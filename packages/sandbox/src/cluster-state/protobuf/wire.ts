// The protobuf wire format, as much of it as Kubernetes' generated code uses: varints
// (int32, int64, bool; negative numbers as 10-byte two's complement), length-delimited
// fields (strings, bytes, messages, map entries) and, to skip them, the fixed 32- and
// 64-bit types. Reading never goes past the slice it was given; every malformed input
// is a WireError naming the byte offset, never an exception from a Buffer method.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

export class WireError extends Error {}

const TWO_32 = 2 ** 32;
const MAX_NUMBER_VARINT_BYTES = 7;

/** UTF-8 text of a view, without copying it first. */
export function utf8Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export class ProtoReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's number and wire type. */
  readTag(): { field: number; wire: number; at: number } {
    const at = this.pos;
    const tag = this.readVarint();
    const field = Math.floor(tag / 8);
    if (field < 1 || field > 0x1fffffff) throw new WireError(`invalid field number ${field} at byte ${at}`);
    return { field, wire: tag % 8, at };
  }

  /** An unsigned varint as a bigint (all 64 bits). */
  readVarintBig(): bigint {
    const at = this.pos;
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at byte ${at}`);
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, result);
    }
    throw new WireError(`varint longer than 10 bytes at byte ${at}`);
  }

  /** An unsigned varint as a number; tags and lengths always fit, other values may round past 2^53. */
  readVarint(): number {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    // Up to 7 bytes (49 bits) stay exact in a double, which covers timestamps and sizes.
    for (let i = 0; i < MAX_NUMBER_VARINT_BYTES; i++) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at byte ${start}`);
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    this.pos = start;
    return Number(this.readVarintBig());
  }

  /** int64 and int32 (negative values are sign-extended to 64 bits on the wire). */
  readSigned(): number {
    const start = this.pos;
    const value = this.readVarint();
    if (this.pos - start <= MAX_NUMBER_VARINT_BYTES) return value;
    this.pos = start;
    return Number(BigInt.asIntN(64, this.readVarintBig()));
  }

  /** A length-delimited payload, as a view into the buffer (no copy). */
  readBytes(): Uint8Array {
    const at = this.pos;
    const length = this.readVarint();
    if (length > this.end - this.pos) throw new WireError(`length ${length} at byte ${at} runs past the end of its message (${this.end - this.pos} bytes left)`);
    const view = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return view;
  }

  readString(): string {
    return utf8Of(this.readBytes());
  }

  /** Skips a field this reader does not know: what keeps new fields of newer API servers harmless. */
  skip(wire: number, at: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.readVarintBig();
        return;
      case WIRE_FIXED64:
        this.advance(8, at);
        return;
      case WIRE_BYTES:
        this.readBytes();
        return;
      case WIRE_FIXED32:
        this.advance(4, at);
        return;
      default:
        throw new WireError(`wire type ${wire} at byte ${at} is not used by Kubernetes (groups are obsolete)`);
    }
  }

  private advance(count: number, at: number): void {
    if (count > this.end - this.pos) throw new WireError(`fixed-size field at byte ${at} runs past the end of its message`);
    this.pos += count;
  }
}

/** Appends fields in the order they are written; messages are written into their own writer first. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private scratch: number[] = [];
  length = 0;

  private flush(): void {
    if (this.scratch.length === 0) return;
    this.chunks.push(Uint8Array.from(this.scratch));
    this.length += this.scratch.length;
    this.scratch = [];
  }

  writeVarint(value: number | bigint): void {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value < TWO_32) {
      let n = value;
      while (n >= 0x80) {
        this.scratch.push((n % 0x80) | 0x80);
        n = Math.floor(n / 0x80);
      }
      this.scratch.push(n);
      return;
    }
    // Negative int32/int64 values take 10 bytes, as in every protobuf implementation.
    let n = BigInt.asUintN(64, BigInt(value));
    while (n >= 0x80n) {
      this.scratch.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.scratch.push(Number(n));
  }

  writeTag(field: number, wire: number): void {
    this.writeVarint(field * 8 + wire);
  }

  writeBytes(field: number, bytes: Uint8Array): void {
    this.writeTag(field, WIRE_BYTES);
    this.writeVarint(bytes.length);
    this.flush();
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  writeString(field: number, text: string): void {
    this.writeBytes(field, Buffer.from(text, 'utf8'));
  }

  writeMessage(field: number, message: ProtoWriter): void {
    this.writeBytes(field, message.finish());
  }

  writeVarintField(field: number, value: number | bigint): void {
    this.writeTag(field, WIRE_VARINT);
    this.writeVarint(value);
  }

  finish(): Buffer {
    this.flush();
    return Buffer.concat(this.chunks, this.length);
  }
}
