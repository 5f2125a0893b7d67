// etcd.health with `cluster: hosts`: every host of the step checks every host's member,
// found from the inventory's endpoint or the host's own manifest; the member count
// defaults to the number of hosts. Plans only: fake hosts answer the probes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthAction } from '../../../src/actions/etcd/health.js';
import { createActionContext } from '../../../src/engine/action-context.js';
import type { Host } from '../../../src/core/inventory.js';
import { FakeTransport } from '../../etcd/helpers/context.js';
import { KUBEADM_ETCD_YAML } from '../../etcd/helpers/manifests.js';

const PKI = ['ca.crt', 'healthcheck-client.crt', 'healthcheck-client.key'].map((f) => `/etc/kubernetes/pki/etcd/${f}`);

function master(n: number, withManifest = true) {
  const files = new Map<string, Buffer | 'dir'>(PKI.map((f) => [f, Buffer.from('pem')]));
  if (withManifest) files.set('/etc/kubernetes/manifests/etcd.yaml', Buffer.from(KUBEADM_ETCD_YAML.replaceAll('10.0.0.11', `10.0.0.1${n}`)));
  const host: Host = { name: `host${n}`, connection: 'ssh', ssh: {}, vars: {}, groups: [] };
  return createActionContext({ host, transport: new FakeTransport(files), run: { id: 'r', startedAt: '', dryRun: true, stateDir: '/x' }, stepId: 'verify' });
}

test("every host checks all the hosts' endpoints (manifest or inventory), expecting one member per host", async () => {
  const ctxs = [master(1), master(2), master(3, false)];
  const raw = [{ cluster: 'hosts' }, { cluster: 'hosts', endpoints: '' }, { cluster: 'hosts', endpoints: 'https://10.0.0.13:2379' }];
  const shared = await healthAction.planAcrossHosts!(ctxs.map((ctx, i) => ({ ctx, args: healthAction.schema.parse(raw[i]) })));
  assert.deepEqual(shared.findings, []);
  assert.deepEqual(shared.value, { endpoints: ['https://10.0.0.11:2379', 'https://10.0.0.12:2379', 'https://10.0.0.13:2379'], hosts: 3 });
  const plan = await healthAction.plan(ctxs[1]!, healthAction.schema.parse(raw[1]), shared.value);
  assert.match(plan.changes[0]!.description, /^check etcd at https:\/\/10\.0\.0\.11:2379,https:\/\/10\.0\.0\.12:2379,https:\/\/10\.0\.0\.13:2379: .*3 member\(s\)/);
});

test('a host with neither endpoint nor manifest is an error naming it; without cluster: hosts nothing is shared', async () => {
  const ctxs = [master(1), master(2, false)];
  const shared = await healthAction.planAcrossHosts!(ctxs.map((ctx) => ({ ctx, args: healthAction.schema.parse({ cluster: 'hosts' }) })));
  assert.deepEqual(
    shared.findings.map((f) => f.host),
    ['host2'],
  );
  assert.match(shared.findings[0]!.finding.message, /host2: no etcd client URL: the inventory gives none \(etcdEndpoint\)/);
  const alone = await healthAction.planAcrossHosts!(ctxs.map((ctx) => ({ ctx, args: healthAction.schema.parse({}) })));
  assert.deepEqual(alone, { findings: [] });
});
