// JSON object → the protobuf bytes a real API server writes for it: what Go's generated
// Marshal produces for the struct the JSON decodes into. So, like Go: fields in number
// order; non-pointer scalars and structs always written (empty strings and zeros too);
// pointers, lists and maps only when set; map keys sorted; metav1.Time at seconds
// precision. `strict` refuses JSON keys the schema does not know, so a seeded object
// can never lose a field silently on its way to etcd.

import { isMapType, isMessageType, type Field, type MapType, type Message } from './schema.js';
import { ProtoWriter, WIRE_VARINT } from './wire.js';

export class EncodeError extends Error {}

type JsonLike = Record<string, unknown>;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `inlined`: json is the parent's object, whose keys the parent checks. */
export function encodeMessage(json: JsonLike, message: Message, path: string, strict: boolean, inlined = false): ProtoWriter {
  if (strict && !inlined) refuseUnknownKeys(json, message, path);
  const writer = new ProtoWriter();
  for (const field of message.wireOrder) {
    const at = `${path}.${field.json}`;
    if (field.inline) {
      // An embedded struct: its JSON fields sit in the parent object, its bytes in a field of its own.
      writer.writeMessage(field.no, encodeMessage(json, (field.type as () => Message)(), path, strict, true));
      continue;
    }
    const value = json[field.json];
    if (isMapType(field.type)) {
      if (value !== undefined && value !== null) encodeMap(writer, field.no, field.type, value, at);
    } else if (field.list) {
      if (value === undefined || value === null) continue;
      if (!Array.isArray(value)) throw new EncodeError(`${at}: expected a list, got ${describe(value)}`);
      value.forEach((item, i) => encodeValue(writer, field, item, `${at}[${i}]`, strict));
    } else if (value === undefined || value === null) {
      if (!field.ptr) encodeZero(writer, field, at);
    } else {
      encodeValue(writer, field, value, at, strict);
    }
  }
  return writer;
}

/** Every key of the object must be a field of the message (or of one of its inline parts). */
function refuseUnknownKeys(json: JsonLike, message: Message, path: string): void {
  const known = new Set<string>();
  const collect = (m: Message) => {
    for (const field of m.fields) {
      if (field.inline) collect((field.type as () => Message)());
      else known.add(field.json);
    }
  };
  collect(message);
  for (const key of Object.keys(json)) {
    if (!known.has(key)) throw new EncodeError(`${path}.${key}: not a field of ${message.name} known to drbook's protobuf subset`);
  }
}

function encodeZero(writer: ProtoWriter, field: Field, path: string): void {
  const type = field.type;
  if (isMessageType(type)) writer.writeMessage(field.no, encodeMessage({}, type(), path, false));
  else if (type === 'time') writer.writeBytes(field.no, new Uint8Array(0));
  else if (type === 'quantity') writer.writeMessage(field.no, quantityMessage('0'));
  else if (type === 'intOrString') writer.writeMessage(field.no, intOrStringMessage(0));
  else if (type === 'string' || type === 'bytes') writer.writeBytes(field.no, new Uint8Array(0));
  else if (type === 'bool' || type === 'int32' || type === 'int64') writer.writeVarintField(field.no, 0);
}

function encodeValue(writer: ProtoWriter, field: Field, value: unknown, path: string, strict: boolean): void {
  const type = field.type;
  if (isMessageType(type)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EncodeError(`${path}: expected an object, got ${describe(value)}`);
    writer.writeMessage(field.no, encodeMessage(value as JsonLike, type(), path, strict));
    return;
  }
  switch (type) {
    case 'string':
      writer.writeString(field.no, expectString(value, path));
      return;
    case 'bytes':
      writer.writeBytes(field.no, base64Bytes(value, path));
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw new EncodeError(`${path}: expected true or false, got ${describe(value)}`);
      writer.writeVarintField(field.no, value ? 1 : 0);
      return;
    case 'int32':
    case 'int64':
      writer.writeVarintField(field.no, expectInteger(value, type, path));
      return;
    case 'time':
      writer.writeMessage(field.no, timeMessage(value, path));
      return;
    case 'quantity':
      writer.writeMessage(field.no, quantityMessage(quantityText(value, path)));
      return;
    case 'intOrString':
      if (typeof value !== 'number' && typeof value !== 'string') throw new EncodeError(`${path}: expected a number or a string, got ${describe(value)}`);
      writer.writeMessage(field.no, intOrStringMessage(typeof value === 'number' ? expectInteger(value, 'int32', path) : value));
      return;
    case 'fieldsV1': {
      const raw = new ProtoWriter();
      raw.writeString(1, JSON.stringify(value));
      writer.writeMessage(field.no, raw);
      return;
    }
  }
}

function encodeMap(writer: ProtoWriter, no: number, type: MapType, value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EncodeError(`${path}: expected an object, got ${describe(value)}`);
  const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const key of keys) {
    const item = (value as JsonLike)[key];
    const at = `${path}[${JSON.stringify(key)}]`;
    const entry = new ProtoWriter();
    entry.writeString(1, key);
    if (type === 'map<string>') entry.writeString(2, expectString(item, at));
    else if (type === 'map<bytes>') {
      if (item !== null) entry.writeBytes(2, base64Bytes(item, at));
    } else entry.writeMessage(2, quantityMessage(quantityText(item, at)));
    writer.writeMessage(no, entry);
  }
}

function timeMessage(value: unknown, path: string): ProtoWriter {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new EncodeError(`${path}: expected an RFC 3339 time, got ${describe(value)}`);
  const time = new ProtoWriter();
  time.writeVarintField(1, Math.floor(ms / 1000));
  time.writeVarintField(2, 0); // metav1.Time keeps seconds only, but writes nanos (always 0)
  return time;
}

function quantityMessage(text: string): ProtoWriter {
  const quantity = new ProtoWriter();
  quantity.writeString(1, text);
  return quantity;
}

function quantityText(value: unknown, path: string): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new EncodeError(`${path}: expected a quantity such as "2", "4014252Ki" or "500m", got ${describe(value)}`);
}

function intOrStringMessage(value: number | string): ProtoWriter {
  const message = new ProtoWriter();
  message.writeVarintField(1, typeof value === 'string' ? 1 : 0);
  message.writeTag(2, WIRE_VARINT);
  message.writeVarint(typeof value === 'number' ? value : 0);
  message.writeString(3, typeof value === 'string' ? value : '');
  return message;
}

function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new EncodeError(`${path}: expected a string, got ${describe(value)}`);
  return value;
}

function expectInteger(value: unknown, type: 'int32' | 'int64', path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new EncodeError(`${path}: expected a whole number, got ${describe(value)}`);
  if (type === 'int32' && (value < INT32_MIN || value > INT32_MAX)) throw new EncodeError(`${path}: ${value} does not fit in an int32`);
  return value;
}

function base64Bytes(value: unknown, path: string): Buffer {
  if (typeof value !== 'string' || !BASE64.test(value) || value.length % 4 !== 0) throw new EncodeError(`${path}: expected base64 data, got ${describe(value)}`);
  return Buffer.from(value, 'base64');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' ? 'an object' : String(value);
}
