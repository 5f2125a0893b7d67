// Maps a request to a response: health, version, discovery, and get/list of the served
// resources. Everything is read-only: other methods get 405. Health and version are
// open to anonymous clients (as system:public-info-viewer allows on a real cluster);
// everything else needs the client certificate.

import { coreVersions, group, groupList, resourceList, versionInfo } from './discovery.js';
import { apiGroups, findResource, groupVersionOf, type ResourceDef } from './resources.js';
import { fieldSelector, labelSelector, SelectorError } from './selectors.js';
import { methodNotAllowed, notFound, statusResponse, text, unauthorized, type ApiResponse } from './status.js';
import { parseIncludeObject, toTable, wantsTable } from './table.js';
import { UndecodableValueError, type RegistryStore, type StoredObject } from './store.js';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  accept?: string;
  /** The client presented a certificate signed by --client-ca-file. */
  authenticated: boolean;
}

export interface RouterContext {
  store: RegistryStore;
  /** host:port clients reach us at, for /api's serverAddressByClientCIDRs. */
  serverAddress: string;
  now?: () => number;
}

type Target =
  | { type: 'health'; name: 'healthz' | 'livez' | 'readyz' }
  | { type: 'static'; body: () => unknown }
  | { type: 'list'; resource: ResourceDef; namespace?: string }
  | { type: 'get'; resource: ResourceDef; namespace?: string; name: string };

function rootPaths(): string[] {
  const groups = apiGroups().flatMap((g) => [`/apis/${g.name}`, ...g.versions.map((version) => `/apis/${g.name}/${version}`)]);
  return ['/api', '/api/v1', '/apis', ...groups, '/healthz', '/livez', '/readyz', '/version'];
}

export async function routeRequest(request: ApiRequest, context: RouterContext): Promise<ApiResponse> {
  const target = resolveTarget(request.path, context);
  if (!target) return notFound('the server could not find the requested resource', { causes: [{ reason: 'UnexpectedServerResponse', message: request.path }] });
  if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed(request.method, request.path);
  if (target.type === 'health') return checkHealth(target.name, request.query, context.store);
  const open = target.type === 'static' && request.path === '/version';
  if (!open && !request.authenticated) return unauthorized();
  if (target.type === 'static') return { status: 200, body: target.body() };
  try {
    return await serveResource(target, request, context);
  } catch (error) {
    if (error instanceof SelectorError) return statusResponse(400, 'BadRequest', error.message);
    if (error instanceof UndecodableValueError) return statusResponse(500, 'InternalError', `Internal error occurred: ${error.message}`, { causes: [{ message: error.message }] });
    return statusResponse(503, 'ServiceUnavailable', `etcd is unreachable: ${(error as Error).message}`);
  }
}

function resolveTarget(rawPath: string, context: RouterContext): Target | null {
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [head] = segments;
  if (path === '/') return { type: 'static', body: () => ({ paths: rootPaths() }) };
  if (head === 'healthz' || head === 'livez' || head === 'readyz') return segments.length <= 2 ? { type: 'health', name: head } : null;
  if (path === '/version') return { type: 'static', body: versionInfo };
  if (head === 'api') {
    if (segments.length === 1) return { type: 'static', body: () => coreVersions(context.serverAddress) };
    return resolveGroupVersion('', segments[1]!, segments.slice(2));
  }
  if (head === 'apis') {
    if (segments.length === 1) return { type: 'static', body: groupList };
    if (segments.length === 2) {
      const body = group(segments[1]!);
      return body ? { type: 'static', body: () => body } : null;
    }
    return resolveGroupVersion(segments[1]!, segments[2]!, segments.slice(3));
  }
  return null;
}

function resolveGroupVersion(groupName: string, version: string, rest: string[]): Target | null {
  if (rest.length === 0) {
    const body = resourceList(groupName, version);
    return body ? { type: 'static', body: () => body } : null;
  }
  const resourceNamed = (name: string) => findResource(groupName, version, name);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const resource = resourceNamed(rest[2]!);
    if (!resource?.namespaced || rest.length > 4) return null;
    return rest.length === 3 ? { type: 'list', resource, namespace: rest[1] } : { type: 'get', resource, namespace: rest[1], name: rest[3]! };
  }
  const resource = resourceNamed(rest[0]!);
  if (!resource || rest.length > 2) return null;
  if (rest.length === 1) return { type: 'list', resource };
  return resource.namespaced ? null : { type: 'get', resource, name: rest[1]! };
}

async function serveResource(target: Extract<Target, { type: 'list' | 'get' }>, request: ApiRequest, context: RouterContext): Promise<ApiResponse> {
  const { resource, namespace } = target;
  const includeObject = parseIncludeObject(request.query.get('includeObject'));
  if (!includeObject) return statusResponse(400, 'BadRequest', `includeObject must be None, Metadata or Object, not ${request.query.get('includeObject')}`);
  const table = wantsTable(request.accept);
  const now = (context.now ?? Date.now)();
  if (target.type === 'get') {
    const object = await context.store.get(resource, namespace, target.name);
    if (!object) {
      const group = resource.group ? `.${resource.group}` : '';
      return notFound(`${resource.name}${group} "${target.name}" not found`, { name: target.name, group: resource.group, kind: resource.name });
    }
    if (!table) return { status: 200, body: object };
    return { status: 200, body: toTable(resource, [object], { revision: String(object.metadata.resourceVersion ?? ''), includeObject, now }) };
  }
  const watch = request.query.get('watch');
  if (watch === 'true' || watch === '1') return statusResponse(405, 'MethodNotAllowed', 'watch is not supported by the sandbox API server (it reads etcd on each request)');
  const byLabel = labelSelector(request.query.get('labelSelector'));
  const byField = fieldSelector(request.query.get('fieldSelector'));
  const { revision, items } = await context.store.list(resource, namespace);
  const selected = items.filter((item: StoredObject) => byLabel(item) && byField(item));
  if (table) return { status: 200, body: toTable(resource, selected, { revision, includeObject, now }) };
  return { status: 200, body: { kind: `${resource.kind}List`, apiVersion: groupVersionOf(resource), metadata: { resourceVersion: revision }, items: selected } };
}

// Like the real endpoints: "ok" or a per-check list, 500 when a check fails, and the
// failing check's reason in the verbose form and in the log.
async function checkHealth(name: 'healthz' | 'livez' | 'readyz', query: URLSearchParams, store: RegistryStore): Promise<ApiResponse> {
  const checks: { name: string; error?: string }[] = [{ name: 'ping' }];
  if (name !== 'livez') {
    try {
      await store.ping();
      checks.push({ name: 'etcd' });
    } catch (error) {
      checks.push({ name: 'etcd', error: (error as Error).message });
    }
  }
  const failed = checks.some((check) => check.error);
  const lines = checks.map((check) => (check.error ? `[-]${check.name} failed: ${check.error}` : `[+]${check.name} ok`));
  if (!failed && !query.has('verbose')) return text(200, 'ok');
  return text(failed ? 500 : 200, `${lines.join('\n')}\n${name} check ${failed ? 'failed' : 'passed'}\n`);
}
