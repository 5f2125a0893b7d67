import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, ageOf } from '../../src/apiserver/age.js';
import { parseIncludeObject, toTable, wantsTable } from '../../src/apiserver/table.js';
import { fieldSelector, labelSelector, SelectorError } from '../../src/apiserver/selectors.js';
import { findResource } from '../../src/apiserver/resources.js';
import type { StoredObject } from '../../src/apiserver/store.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration prints ages as kubectl does', () => {
  const cases: [number, string][] = [
    [-5 * S, '<invalid>'],
    [0, '0s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [5 * M + 7 * S, '5m7s'],
    [45 * M, '45m'],
    [3 * H, '3h'],
    [5 * H + 30 * M, '5h30m'],
    [30 * H, '30h'],
    [3 * D + 4 * H, '3d4h'],
    [3 * D, '3d'],
    [100 * D, '100d'],
    [3 * 365 * D + 10 * D, '3y10d'],
    [10 * 365 * D, '10y'],
  ];
  for (const [ms, expected] of cases) assert.equal(humanDuration(ms), expected, `${ms} ms`);
  assert.equal(ageOf('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:03:00Z')), '3m');
  assert.equal(ageOf(undefined, 0), '<unknown>');
});

test('wantsTable recognises kubectl get’s Accept header, not -o json’s', () => {
  assert.equal(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'), true);
  assert.equal(wantsTable('application/json'), false);
  assert.equal(wantsTable(undefined), false);
  assert.equal(parseIncludeObject(null), 'Metadata');
  assert.equal(parseIncludeObject('Object'), 'Object');
  assert.equal(parseIncludeObject('All'), null);
});

const at = '2026-01-01T00:00:00Z';
const now = Date.parse('2026-01-01T01:00:00Z');

test('node rows: status from the Ready condition, roles from labels', () => {
  const node = (name: string, ready: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): StoredObject => ({
    metadata: { name, creationTimestamp: at, labels },
    spec: extra,
    status: { conditions: [{ type: 'Ready', status: ready }], nodeInfo: { kubeletVersion: 'v1.32.4' }, addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
  });
  const table = toTable(
    findResource('', 'v1', 'nodes')!,
    [
      node('a', 'True', {}, { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/etcd': '' }),
      node('b', 'False', { unschedulable: true }),
      node('c', 'Unknown', {}, { 'kubernetes.io/role': 'worker' }),
    ],
    { revision: '7', includeObject: 'Metadata', now },
  ) as any;
  assert.deepEqual(
    table.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name),
    ['Name', 'Status', 'Roles', 'Age', 'Version'],
  );
  assert.deepEqual(
    table.rows.map((r: any) => r.cells.slice(0, 5)),
    [
      ['a', 'Ready', 'control-plane,etcd', '60m', 'v1.32.4'],
      ['b', 'NotReady,SchedulingDisabled', '<none>', '60m', 'v1.32.4'],
      ['c', 'Unknown', 'worker', '60m', 'v1.32.4'],
    ],
  );
  assert.equal(table.metadata.resourceVersion, '7');
  assert.deepEqual(table.rows[0].object, {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { name: 'a', creationTimestamp: at, labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/etcd': '' } },
  });
});

test('pod rows: ready count, waiting reasons, restarts; includeObject None and Object', () => {
  const pod: StoredObject = {
    metadata: { name: 'p', namespace: 'ns', creationTimestamp: at },
    spec: { containers: [{ name: 'a' }, { name: 'b' }], nodeName: 'n1' },
    status: {
      phase: 'Running',
      podIP: '10.244.0.5',
      containerStatuses: [
        { name: 'a', ready: true, restartCount: 2, state: { running: {} } },
        { name: 'b', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
    },
  };
  const pods = findResource('', 'v1', 'pods')!;
  const table = toTable(pods, [pod], { revision: '1', includeObject: 'None', now }) as any;
  assert.deepEqual(table.rows[0].cells, ['p', '1/2', 'CrashLoopBackOff', '7', '60m', '10.244.0.5', 'n1', '<none>', '<none>']);
  assert.equal('object' in table.rows[0], false);
  const full = toTable(pods, [pod], { revision: '1', includeObject: 'Object', now }) as any;
  assert.equal(full.rows[0].object, pod);
  const terminating = toTable(pods, [{ ...pod, metadata: { ...pod.metadata, deletionTimestamp: at } }], { revision: '1', includeObject: 'None', now }) as any;
  assert.equal(terminating.rows[0].cells[2], 'Terminating');
});

test('service, deployment and config map rows', () => {
  const svc: StoredObject = {
    metadata: { name: 'dns', creationTimestamp: at },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.10',
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 9153, protocol: 'TCP' },
      ],
      selector: { 'k8s-app': 'kube-dns' },
    },
  };
  assert.deepEqual((toTable(findResource('', 'v1', 'services')!, [svc], { revision: '1', includeObject: 'None', now }) as any).rows[0].cells, [
    'dns',
    'ClusterIP',
    '10.96.0.10',
    '<none>',
    '53/UDP,9153/TCP',
    '60m',
    'k8s-app=kube-dns',
  ]);
  const deploy: StoredObject = {
    metadata: { name: 'web', creationTimestamp: at },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  assert.deepEqual((toTable(findResource('apps', 'v1', 'deployments')!, [deploy], { revision: '1', includeObject: 'None', now }) as any).rows[0].cells, [
    'web',
    '2/3',
    3,
    2,
    '60m',
    'web',
    'nginx',
    'app=web',
  ]);
  const cm: StoredObject = { metadata: { name: 'c', creationTimestamp: at }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } };
  assert.deepEqual((toTable(findResource('', 'v1', 'configmaps')!, [cm], { revision: '1', includeObject: 'None', now }) as any).rows[0].cells, ['c', 3, '60m']);
});

test('label and field selectors (equality forms); set-based selectors are refused', () => {
  const obj = (labels: Record<string, string>, nodeName?: string): StoredObject => ({ metadata: { name: 'x', labels }, spec: { nodeName } });
  const a = obj({ app: 'web', tier: 'front' }, 'n1');
  const b = obj({ app: 'db' });
  assert.deepEqual([a, b].map(labelSelector('app=web')), [true, false]);
  assert.deepEqual([a, b].map(labelSelector('app!=web')), [false, true]);
  assert.deepEqual([a, b].map(labelSelector('tier')), [true, false]);
  assert.deepEqual([a, b].map(labelSelector('!tier,app==db')), [false, true]);
  assert.deepEqual([a, b].map(fieldSelector('spec.nodeName=n1')), [true, false]);
  assert.deepEqual([a, b].map(fieldSelector('spec.nodeName=')), [false, true]);
  assert.deepEqual([a, b].map(fieldSelector('metadata.name=x,spec.nodeName!=n1')), [false, true]);
  assert.deepEqual([a, b].map(labelSelector(null)), [true, true]);
  assert.throws(() => labelSelector('app in (web,db)'), SelectorError);
  assert.throws(() => fieldSelector('spec.nodeName'), /expected field=value/);
});
