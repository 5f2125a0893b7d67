// Reads objects from etcd on every request: no cache, so after a restore the API
// server shows the restored data at once (a real API server's watch cache would not).

import type { Etcd3, IKeyValue } from 'etcd3';
import type { ResourceDef } from './resources.js';

export interface StoredObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface ListResult {
  revision: string;
  items: StoredObject[];
}

/** The value is not JSON (a real cluster stores protobuf, prefixed with k8s\0). */
export class UndecodableValueError extends Error {}

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
    const response = await this.client.getAll().prefix(`${this.keyOf(resource, namespace)}/`).exec();
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
  const key = kv.key.toString();
  if (kv.value.subarray(0, 4).toString('latin1') === 'k8s\0') {
    throw new UndecodableValueError(`${key} is stored as protobuf; the sandbox API server reads JSON only (a real API server with --storage-media-type=application/json writes it)`);
  }
  let object: StoredObject;
  try {
    object = JSON.parse(kv.value.toString('utf8')) as StoredObject;
  } catch (error) {
    throw new UndecodableValueError(`${key} is not valid JSON: ${(error as Error).message}`);
  }
  if (!object || typeof object !== 'object' || typeof object.metadata !== 'object') {
    throw new UndecodableValueError(`${key} holds no Kubernetes object (no metadata)`);
  }
  // The API server, not the stored value, owns resourceVersion: it is the key's revision.
  object.metadata = { ...object.metadata, resourceVersion: kv.mod_revision };
  return object;
}
