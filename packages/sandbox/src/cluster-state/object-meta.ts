// Helpers shared by the seeded objects: Kubernetes-shaped metadata with stable uids and
// name suffixes, so seeding twice produces the same names (tests and before/after
// comparisons of a restore rely on that).

import { createHash } from 'node:crypto';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
};

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  generation?: number;
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** One object and the etcd key it lives under (without the /registry prefix). */
export interface SeedEntry {
  key: string;
  object: KubeObject;
}

export interface SeedContext {
  /** RFC 3339, seconds precision, as the API server writes it. */
  now: string;
  controlPlane: { name: string; ip: string }[];
  workers: { name: string; ip: string }[];
  kubernetesVersion: string;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A version-4-shaped UUID derived from the object's identity. */
export function stableUid(kind: string, namespace: string | undefined, name: string): string {
  const hex = digest(`${kind}/${namespace ?? ''}/${name}`).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

// The alphabet Kubernetes uses for generated names (no vowels, no look-alikes).
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A generated-name suffix (at most 32 characters). */
export function stableSuffix(seed: string, length = 5): string {
  if (length > 32) throw new RangeError(`stableSuffix: at most 32 characters, not ${length}`);
  const bytes = digest(seed);
  let out = '';
  for (let i = 0; i < length; i++) out += NAME_ALPHABET[bytes[i]! % NAME_ALPHABET.length];
  return out;
}

/** 64 hex digits, the shape of image digests and container ids. */
export function stableHex(seed: string): string {
  return digest(seed).toString('hex');
}

export function meta(context: SeedContext, kind: string, name: string, namespace?: string, extra: Partial<ObjectMeta> = {}): ObjectMeta {
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    uid: stableUid(kind, namespace, name),
    creationTimestamp: context.now,
    ...extra,
  };
}

export function ownerOf(object: KubeObject, controller = true): OwnerReference {
  return { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, uid: object.metadata.uid, controller, blockOwnerDeletion: controller };
}

export function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** RFC 3339 at seconds precision: 2026-11-23T09:20:09Z. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
