// How a Kubernetes type maps between its protobuf message and its JSON, declared once per
// type in schema-*.ts and read by both decode.ts and encode.ts. Field numbers come from
// the real generated.proto files (kubernetes/api, kubernetes/apimachinery); the JSON
// side follows the Go struct tags, because the JSON an API server serves is Go's
// encoding/json of the decoded struct:
//   - a field without `omitempty` is always in the JSON (zero value when unset): `keep`;
//   - a pointer field is in the JSON exactly when it was set, even to zero: `ptr`;
//   - a non-pointer struct is always in the JSON (omitempty does not apply to structs);
//   - an embedded struct with `json:",inline"` spreads its fields into its parent: `inline`;
//   - metav1.Time marshals a zero time as null, unless the field has `omitzero`.
// Fields are declared in Go struct order, the order of the JSON keys.

/** Types with a mapping of their own (not plain messages). */
export type SpecialType =
  | 'string'
  | 'bool'
  | 'int32'
  | 'int64'
  | 'bytes'
  | 'time' //        metav1.Time: message {seconds, nanos}; RFC 3339 at seconds precision in JSON
  | 'quantity' //    resource.Quantity: message {string}; the same string in JSON
  | 'intOrString' // intstr.IntOrString: message {type, intVal, strVal}; a number or a string in JSON
  | 'fieldsV1'; //   metav1.FieldsV1: message {Raw}; the raw JSON embedded as is

export type MapType = 'map<string>' | 'map<bytes>' | 'map<quantity>';

export interface Field {
  no: number;
  /** The JSON key (the name of an inline field is only a label). */
  json: string;
  type: SpecialType | MapType | (() => Message);
  list: boolean;
  ptr: boolean;
  keep: boolean;
  inline: boolean;
  omitZero: boolean;
}

export interface Message {
  name: string;
  /** In declaration (JSON) order. */
  fields: Field[];
  byNumber: Map<number, Field>;
  /** In field-number order: the order Go's generated Marshal writes them. */
  wireOrder: Field[];
}

type Flag = 'list' | 'ptr' | 'keep' | 'inline' | 'omitzero';
export type FieldSpec = [no: number, type: Field['type'], flags?: `${Flag}` | `${Flag} ${Flag}` | `${Flag} ${Flag} ${Flag}`];

export function message(name: string, specs: Record<string, FieldSpec>): Message {
  const fields = Object.entries(specs).map(([json, [no, type, flags = '']]): Field => {
    const set = new Set(flags.split(' ').filter(Boolean));
    return { no, json, type, list: set.has('list'), ptr: set.has('ptr'), keep: set.has('keep'), inline: set.has('inline'), omitZero: set.has('omitzero') };
  });
  const byNumber = new Map<number, Field>();
  for (const field of fields) {
    if (byNumber.has(field.no)) throw new Error(`schema ${name}: field number ${field.no} declared twice`);
    byNumber.set(field.no, field);
  }
  return { name, fields, byNumber, wireOrder: [...fields].sort((a, b) => a.no - b.no) };
}

export function isMessageType(type: Field['type']): type is () => Message {
  return typeof type === 'function';
}

export function isMapType(type: Field['type']): type is MapType {
  return typeof type === 'string' && type.startsWith('map<');
}

/** Scalars that travel as varints (and may be packed when repeated). */
export function isVarintType(type: Field['type']): boolean {
  return type === 'bool' || type === 'int32' || type === 'int64';
}
