import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeRequest, type ApiRequest } from '../../src/apiserver/router.js';
import { UndecodableValueError, type RegistryStore, type StoredObject } from '../../src/apiserver/store.js';
import type { ResourceDef } from '../../src/apiserver/resources.js';

// A store over an in-memory registry, keyed like etcd; records what was asked.
function fakeStore(objects: Record<string, StoredObject>, failure?: Error) {
  const calls: string[] = [];
  const store = {
    async list(resource: ResourceDef, namespace?: string) {
      calls.push(`list ${resource.key} ${namespace ?? '*'}`);
      if (failure) throw failure;
      const prefix = `${resource.key}/${namespace === undefined ? '' : `${namespace}/`}`;
      return {
        revision: '42',
        items: Object.entries(objects)
          .filter(([key]) => key.startsWith(prefix))
          .map(([, object]) => object),
      };
    },
    async get(resource: ResourceDef, namespace: string | undefined, name: string) {
      calls.push(`get ${resource.key} ${namespace ?? '-'} ${name}`);
      if (failure) throw failure;
      return objects[`${resource.key}/${namespace === undefined ? '' : `${namespace}/`}${name}`] ?? null;
    },
    async ping() {
      if (failure) throw failure;
    },
  };
  return { store: store as unknown as RegistryStore, calls };
}

const objects: Record<string, StoredObject> = {
  'namespaces/demo': { kind: 'Namespace', metadata: { name: 'demo' } },
  'minions/node1': { kind: 'Node', metadata: { name: 'node1' } },
  'pods/demo/web-1': { kind: 'Pod', metadata: { name: 'web-1', namespace: 'demo', labels: { app: 'web' } } },
  'pods/kube-system/etcd-node1': { kind: 'Pod', metadata: { name: 'etcd-node1', namespace: 'kube-system' } },
  'services/specs/demo/web': { kind: 'Service', metadata: { name: 'web', namespace: 'demo' } },
  'deployments/demo/web': { kind: 'Deployment', metadata: { name: 'web', namespace: 'demo' } },
};

function req(path: string, extra: Partial<ApiRequest> = {}): ApiRequest {
  const url = new URL(path, 'https://x');
  return { method: 'GET', path: url.pathname, query: url.searchParams, authenticated: true, ...extra };
}

test('paths map to the right list or get, namespaced or not', async () => {
  const { store, calls } = fakeStore(objects);
  const context = { store, serverAddress: '127.0.0.11:6443' };
  const ns = await routeRequest(req('/api/v1/namespaces/demo'), context);
  assert.equal((ns.body as StoredObject).metadata.name, 'demo');
  const pods = await routeRequest(req('/api/v1/namespaces/demo/pods'), context);
  assert.deepEqual(pods.body, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '42' }, items: [objects['pods/demo/web-1']] });
  const all = await routeRequest(req('/api/v1/pods'), context);
  assert.equal((all.body as { items: unknown[] }).items.length, 2);
  const svc = await routeRequest(req('/api/v1/namespaces/demo/services/web'), context);
  assert.equal(svc.status, 200);
  const deploy = await routeRequest(req('/apis/apps/v1/deployments'), context);
  assert.equal((deploy.body as { kind: string; apiVersion: string }).apiVersion, 'apps/v1');
  const node = await routeRequest(req('/api/v1/nodes/node1/'), context);
  assert.equal(node.status, 200);
  assert.deepEqual(calls, ['get namespaces - demo', 'list pods demo', 'list pods *', 'get services/specs demo web', 'list deployments *', 'get minions - node1']);
});

test('unknown paths are 404 Status, writes 405, anonymous reads 401, watches 405', async () => {
  const { store, calls } = fakeStore(objects);
  const context = { store, serverAddress: 'x' };
  for (const path of [
    '/api/v1/widgets',
    '/api/v2',
    '/apis/batch/v1',
    '/apis/nope',
    '/api/v1/pods/web-1',
    '/api/v1/namespaces/demo/nodes',
    '/api/v1/namespaces/demo/pods/web-1/log',
    '/metrics',
    '/healthz/a/b',
  ]) {
    const response = await routeRequest(req(path), context);
    assert.equal(response.status, 404, path);
    assert.equal((response.body as { kind: string }).kind, 'Status');
  }
  const missing = await routeRequest(req('/apis/apps/v1/namespaces/demo/deployments/nope'), context);
  assert.equal(missing.status, 404);
  assert.equal((missing.body as { message: string }).message, 'deployments.apps "nope" not found');
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    const response = await routeRequest(req('/api/v1/namespaces/demo/pods/web-1', { method }), context);
    assert.equal(response.status, 405, method);
    assert.equal((response.body as { reason: string }).reason, 'MethodNotAllowed');
  }
  assert.equal((await routeRequest(req('/api/v1/pods', { authenticated: false }), context)).status, 401);
  assert.equal((await routeRequest(req('/api', { authenticated: false }), context)).status, 401);
  assert.equal((await routeRequest(req('/version', { authenticated: false }), context)).status, 200);
  assert.equal((await routeRequest(req('/readyz', { authenticated: false }), context)).status, 200);
  assert.equal((await routeRequest(req('/api/v1/pods?watch=true'), context)).status, 405);
  assert.equal((await routeRequest(req('/api/v1/pods?labelSelector=app%20in%20(web)'), context)).status, 400);
  assert.equal((await routeRequest(req('/api/v1/pods?includeObject=Everything'), context)).status, 400);
  assert.deepEqual(calls, ['get deployments demo nope'], 'only the real lookup reached the store');
});

test('Table form on request, selectors applied', async () => {
  const { store } = fakeStore(objects);
  const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
  const response = await routeRequest(req('/api/v1/pods?labelSelector=app%3Dweb', { accept }), { store, serverAddress: 'x' });
  const table = response.body as { kind: string; rows: { cells: unknown[]; object: { metadata: { namespace: string } } }[] };
  assert.equal(table.kind, 'Table');
  assert.equal(table.rows.length, 1);
  assert.equal(table.rows[0]!.cells[0], 'web-1');
  assert.equal(table.rows[0]!.object.metadata.namespace, 'demo');
});

test('discovery documents list the served resources', async () => {
  const { store } = fakeStore(objects);
  const context = { store, serverAddress: '127.0.0.11:6443' };
  const api = (await routeRequest(req('/api'), context)).body as any;
  assert.deepEqual(api.versions, ['v1']);
  assert.equal(api.serverAddressByClientCIDRs[0].serverAddress, '127.0.0.11:6443');
  const v1 = (await routeRequest(req('/api/v1'), context)).body as any;
  assert.deepEqual(v1.resources.map((r: any) => r.name).sort(), ['configmaps', 'namespaces', 'nodes', 'pods', 'secrets', 'services']);
  assert.deepEqual(v1.resources.find((r: any) => r.name === 'pods').verbs, ['get', 'list']);
  const groups = (await routeRequest(req('/apis'), context)).body as any;
  assert.ok(groups.groups.some((g: any) => g.name === 'apps' && g.preferredVersion.groupVersion === 'apps/v1'));
  const apps = (await routeRequest(req('/apis/apps/v1'), context)).body as any;
  assert.ok(apps.resources.some((r: any) => r.name === 'deployments' && r.shortNames.includes('deploy')));
  assert.equal(((await routeRequest(req('/apis/apps'), context)).body as any).kind, 'APIGroup');
});

test('store failures: etcd down is 503 (readyz 500), an undecodable value is 500', async () => {
  const down = fakeStore(objects, new Error('14 UNAVAILABLE: No connection established'));
  const context = { store: down.store, serverAddress: 'x' };
  const list = await routeRequest(req('/api/v1/nodes'), context);
  assert.equal(list.status, 503);
  assert.match((list.body as { message: string }).message, /etcd is unreachable: 14 UNAVAILABLE/);
  const ready = await routeRequest(req('/readyz'), context);
  assert.equal(ready.status, 500);
  assert.equal(ready.body, '[+]ping ok\n[-]etcd failed: 14 UNAVAILABLE: No connection established\nreadyz check failed\n');
  assert.equal((await routeRequest(req('/livez'), context)).status, 200);
  const corrupt = fakeStore(objects, new UndecodableValueError('/registry/pods/a/b', '42', 'Pod.spec (PodSpec): length 300 at byte 2 runs past the end of its message (7 bytes left)'));
  const bad = await routeRequest(req('/api/v1/pods'), { store: corrupt.store, serverAddress: 'x' });
  assert.equal(bad.status, 500);
  assert.equal((bad.body as { reason: string }).reason, 'InternalError');
  // The real API server's wording (apierrors.NewInternalError of a storage.NewCorruptObjError): key, revision and why.
  assert.equal(
    (bad.body as { message: string }).message,
    'Internal error occurred: StorageError: corrupt object, Code: 7, Key: /registry/pods/a/b, ResourceVersion: 42, AdditionalErrorMsg: cannot decode the stored value: Pod.spec (PodSpec): length 300 at byte 2 runs past the end of its message (7 bytes left)',
  );
});
