// Reads objects from etcd on every request: no cache, so after a restore the API
// server shows the restored data at once (a real API server's watch cache would not).
// Values are decoded as a real API server decodes them, by their first bytes: protobuf
// in the k8s\0 envelope, or JSON.

import type { Etcd3, IKeyValue } from 'etcd3';
import { DecodeError, decodeStoredObject } from '../cluster-state/protobuf/storage-value.js';
import type { ResourceDef } from './resources.js';

export interface StoredObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface ListResult {
  revision: string;
  items: StoredObject[];
}

/**
 * A stored value that cannot be decoded. The message has the form of a real API server's
 * (storage.NewCorruptObjError): it names the key, its revision and why.
 */
export class UndecodableValueError extends Error {
  constructor(
    readonly key: string,
    readonly revision: string,
    readonly why: string,
  ) {
    super(`StorageError: corrupt object, Code: 7, Key: ${key}, ResourceVersion: ${revision}, AdditionalErrorMsg: cannot decode the stored value: ${why}`);
  }
}

export class RegistryStore {
  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
  ) {}

  private keyOf(resource: ResourceDef, namespace?: string, name?: string): string {
    const parts = [this.prefix.replace(/\/$/, ''), resource.key];
    if (namespace !== undefined) parts.push(namespace);
    if (name !== undefined) parts.push(name);
    return parts.join('/');
  }

  /** All objects of a resource, or those of one namespace; sorted by key like etcd returns them. */
  async list(resource: ResourceDef, namespace?: string): Promise<ListResult> {
    const response = await this.client
      .getAll()
      .prefix(`${this.keyOf(resource, namespace)}/`)
      .exec();
    return { revision: response.header.revision, items: response.kvs.map(decode) };
  }

  async get(resource: ResourceDef, namespace: string | undefined, name: string): Promise<StoredObject | null> {
    const response = await this.client.get(this.keyOf(resource, namespace, name)).exec();
    const kv = response.kvs[0];
    return kv ? decode(kv) : null;
  }

  /** Resolves when etcd answers a read; rejects with its error otherwise. */
  async ping(): Promise<void> {
    // A read of a key that need not exist is the cheapest real round trip to the store.
    await this.client.get(`${this.prefix.replace(/\/$/, '')}/health`).exec();
  }
}

function decode(kv: IKeyValue): StoredObject {
  let object: StoredObject;
  try {
    object = decodeStoredObject(kv.value) as unknown as StoredObject;
  } catch (error) {
    if (error instanceof DecodeError) throw new UndecodableValueError(kv.key.toString(), kv.mod_revision, error.message);
    throw error;
  }
  // The API server, not the stored value, owns resourceVersion: it is the key's revision.
  object.metadata = { ...object.metadata, resourceVersion: kv.mod_revision };
  return object;
}
