// Protobuf message → the JSON a real API server serves for it: the Go struct the bytes
// unmarshal into, then Go's encoding/json of that struct (see schema.ts for the rules).
// Unknown field numbers are skipped whatever their wire type, so values written by
// newer API servers (or carrying fields this subset leaves out) decode; a known field
// with the wrong wire type, a truncated field or invalid JSON in managedFields is a
// DecodeError naming the field's path.

import { isMapType, isMessageType, isVarintType, type Field, type MapType, type Message } from './schema.js';
import { base64Of, ProtoReader, utf8Of, WIRE_BYTES, WIRE_VARINT, WireError } from './wire.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export class DecodeError extends Error {}

/** Go's zero time.Time (0001-01-01T00:00:00Z) in Unix seconds: metav1.Time marshals it as null. */
const ZERO_TIME_SECONDS = -62135596800;
const EMPTY = new Uint8Array(0);

export function decodeMessage(bytes: Uint8Array, message: Message, path: string): JsonObject {
  const values = readFields(bytes, message, path);
  const out: JsonObject = {};
  for (const field of message.fields) {
    const raw = values.get(field);
    const at = `${path}.${field.json}`;
    if (field.inline) {
      Object.assign(out, decodeMessage(joined(raw), (field.type as () => Message)(), path));
    } else if (isMapType(field.type)) {
      if (raw?.length) out[field.json] = decodeMap(raw as Uint8Array[], field.type, at);
      else if (field.keep) out[field.json] = null;
    } else if (field.list) {
      if (raw?.length) out[field.json] = raw.map((item, i) => decodeValue(field, item, `${at}[${i}]`));
      else if (field.keep) out[field.json] = null;
    } else if (raw === undefined && field.ptr) {
      if (field.keep) out[field.json] = null;
    } else {
      const value = raw === undefined ? zeroOf(field, at) : decodeValue(field, isMessageLike(field) ? joined(raw) : raw[raw.length - 1]!, at);
      if (field.ptr || field.keep || !isOmittedZero(field, value)) out[field.json] = value;
    }
  }
  return out;
}

/** Reads every field once: the values of each known field in wire order, unknown ones skipped. */
function readFields(bytes: Uint8Array, message: Message, path: string): Map<Field, Array<Uint8Array | number | boolean>> {
  const values = new Map<Field, Array<Uint8Array | number | boolean>>();
  const reader = new ProtoReader(bytes);
  try {
    while (!reader.done) {
      const { field: no, wire, at } = reader.readTag();
      const field = message.byNumber.get(no);
      if (!field) {
        reader.skip(wire, at);
        continue;
      }
      let list = values.get(field);
      if (!list) values.set(field, (list = []));
      if (isVarintType(field.type)) {
        if (wire === WIRE_VARINT) list.push(readVarintValue(reader, field));
        else if (wire === WIRE_BYTES && field.list) {
          const packed = new ProtoReader(reader.readBytes());
          while (!packed.done) list.push(readVarintValue(packed, field));
        } else throw new WireError(`field ${no} has wire type ${wire}, expected a varint`);
      } else if (wire === WIRE_BYTES) list.push(reader.readBytes());
      else throw new WireError(`field ${no} has wire type ${wire}, expected length-delimited`);
    }
  } catch (error) {
    if (error instanceof WireError) throw new DecodeError(`${path} (${message.name}): ${error.message}`);
    throw error;
  }
  return values;
}

function readVarintValue(reader: ProtoReader, field: Field): number | boolean {
  return field.type === 'bool' ? reader.readVarint() !== 0 : reader.readSigned();
}

function isMessageLike(field: Field): boolean {
  return isMessageType(field.type) || field.type === 'time' || field.type === 'quantity' || field.type === 'intOrString' || field.type === 'fieldsV1';
}

/** A singular message that occurs twice is merged, as protobuf requires: its bytes are concatenated. */
function joined(raw: Array<Uint8Array | number | boolean> | undefined): Uint8Array {
  if (!raw?.length) return EMPTY;
  return raw.length === 1 ? (raw[0] as Uint8Array) : Buffer.concat(raw as Uint8Array[]);
}

/** What Go holds for a field absent from the bytes: the zero value of its type. */
function zeroOf(field: Field, path: string): Json {
  const type = field.type;
  if (isMessageType(type)) return decodeMessage(EMPTY, type(), path);
  switch (type) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    case 'int32':
    case 'int64':
    case 'intOrString':
      return 0;
    case 'quantity':
      return '0';
    default:
      return null;
  }
}

/** encoding/json's omitempty leaves out "", 0 and false, never a struct; metav1.Time's zero is null, left out only by omitzero. */
function isOmittedZero(field: Field, value: Json): boolean {
  switch (field.type) {
    case 'time':
      return field.omitZero && value === null;
    case 'string':
    case 'bytes':
    case 'bool':
    case 'int32':
    case 'int64':
      return value === '' || value === 0 || value === false;
    default:
      return false;
  }
}

function decodeValue(field: Field, raw: Uint8Array | number | boolean, path: string): Json {
  if (typeof raw !== 'object') return raw;
  const type = field.type;
  if (isMessageType(type)) return decodeMessage(raw, type(), path);
  switch (type) {
    case 'string':
      return utf8Of(raw);
    case 'bytes':
      return base64Of(raw);
    case 'time':
      return decodeTime(raw, path);
    case 'quantity':
      return decodeQuantity(raw, path);
    case 'intOrString':
      return decodeIntOrString(raw, path);
    case 'fieldsV1':
      return decodeFieldsV1(raw, path);
    default:
      throw new DecodeError(`${path}: a ${type} field cannot hold length-delimited data`);
  }
}

/** metav1.Time: {seconds, nanos}; JSON keeps seconds only (RFC 3339, UTC), as the Go type does. */
function decodeTime(bytes: Uint8Array, path: string): string | null {
  if (bytes.length === 0) return null;
  let seconds = 0;
  const reader = new ProtoReader(bytes);
  try {
    while (!reader.done) {
      const { field, wire, at } = reader.readTag();
      if (field === 1 && wire === WIRE_VARINT) seconds = reader.readSigned();
      else reader.skip(wire, at);
    }
  } catch (error) {
    if (error instanceof WireError) throw new DecodeError(`${path} (Time): ${error.message}`);
    throw error;
  }
  if (seconds === ZERO_TIME_SECONDS) return null;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) throw new DecodeError(`${path} (Time): ${seconds} seconds is out of range`);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function decodeQuantity(bytes: Uint8Array, path: string): string {
  const fields = readSmallMessage(bytes, path, 'Quantity');
  const text = fields.get(1);
  return text instanceof Uint8Array && text.length > 0 ? utf8Of(text) : '0';
}

function decodeIntOrString(bytes: Uint8Array, path: string): number | string {
  const fields = readSmallMessage(bytes, path, 'IntOrString');
  if (fields.get(1) === 1) {
    const text = fields.get(3);
    return text instanceof Uint8Array ? utf8Of(text) : '';
  }
  const value = fields.get(2);
  return typeof value === 'number' ? value : 0;
}

function decodeFieldsV1(bytes: Uint8Array, path: string): Json {
  const raw = readSmallMessage(bytes, path, 'FieldsV1').get(1);
  if (!(raw instanceof Uint8Array) || raw.length === 0) return null;
  try {
    return JSON.parse(utf8Of(raw)) as Json;
  } catch (error) {
    throw new DecodeError(`${path} (FieldsV1): not valid JSON: ${(error as Error).message}`);
  }
}

/** The last value of each field of a message of a few scalar fields (Quantity, IntOrString, map entries). */
function readSmallMessage(bytes: Uint8Array, path: string, name: string): Map<number, Uint8Array | number> {
  const fields = new Map<number, Uint8Array | number>();
  const reader = new ProtoReader(bytes);
  try {
    while (!reader.done) {
      const { field, wire, at } = reader.readTag();
      if (wire === WIRE_VARINT) fields.set(field, reader.readSigned());
      else if (wire === WIRE_BYTES) fields.set(field, reader.readBytes());
      else reader.skip(wire, at);
    }
  } catch (error) {
    if (error instanceof WireError) throw new DecodeError(`${path} (${name}): ${error.message}`);
    throw error;
  }
  return fields;
}

/** Map entries {1: key, 2: value}; Go's JSON lists map keys sorted. */
function decodeMap(entries: Uint8Array[], type: MapType, path: string): JsonObject {
  const pairs: Array<[string, Json]> = [];
  for (const entry of entries) {
    const fields = readSmallMessage(entry, path, 'map entry');
    const key = fields.get(1);
    const keyText = key instanceof Uint8Array ? utf8Of(key) : '';
    const value = fields.get(2);
    const bytes = value instanceof Uint8Array ? value : EMPTY;
    const at = `${path}[${JSON.stringify(keyText)}]`;
    pairs.push([keyText, type === 'map<string>' ? utf8Of(bytes) : type === 'map<bytes>' ? base64Of(bytes) : decodeQuantity(bytes, at)]);
  }
  pairs.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(pairs);
}
