// A host's own member and the preflight's judgements on it, from real manifests and
// config files (fixtures name their sources): dataDir must be the dir etcd runs with
// (minikube's /var/lib/minikube/etcd, kubeadm's custom etcd.local.dataDir), layouts the
// restore steps cannot act on (RKE2, kubespray's systemd etcd) refused by name, and the
// inventory's values laid over the facts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDataDir, readOwnMember } from '../../../src/actions/etcd/own-member.js';
import { judgeLayout } from '../../../src/actions/etcd/preflight-membership.js';
import type { Host } from '../../../src/core/inventory.js';
import { fakeHost } from '../../etcd/helpers/fake-host.js';

const host: Host = { name: 'cp1', connection: 'ssh', ssh: {}, vars: {}, groups: [] };
const KUBEADM = '/etc/kubernetes/manifests/etcd.yaml';
const read = (files: Parameters<typeof fakeHost>[0], overrides = {}, answers: Parameters<typeof fakeHost>[1] = {}) => {
  const h = fakeHost(files, answers);
  return readOwnMember({ transport: h.transport, probe: h.probe, host }, { manifest: KUBEADM, overrides });
};

test('minikube: the default dataDir /var/lib/etcd is refused, naming the dir etcd runs with and the value to pass', async () => {
  const own = await read({ [KUBEADM]: 'manifests/minikube-etcd-pod.yaml' });
  assert.ok(own.facts, own.problem);
  assert.equal(own.facts.hostDataDir, '/var/lib/minikube/etcd');
  const refused = checkDataDir('cp1', own.facts, '/var/lib/etcd');
  assert.equal(refused.level, 'error');
  assert.match(
    refused.message,
    /cp1: dataDir \/var\/lib\/etcd is not the dir etcd runs with: .* runs etcd on \/var\/lib\/minikube\/etcd.*the default \/var\/lib\/etcd.*would leave etcd serving its old data: pass -p dataDir=\/var\/lib\/minikube\/etcd/,
  );
  assert.equal(checkDataDir('cp1', own.facts, '/var/lib/minikube/etcd/').level, 'ok');
});

test('kubeadm with a custom etcd.local.dataDir: the hostPath behind --data-dir is the dir to restore', async () => {
  const own = await read({ [KUBEADM]: 'manifests/kubeadm-custom-paths-etcd.yaml' });
  assert.ok(own.facts, own.problem);
  const judged = checkDataDir('cp1', own.facts, own.facts.hostDataDir);
  assert.equal(judged.level, 'ok', judged.message);
  assert.equal(checkDataDir('cp1', own.facts, '/var/lib/etcd').level, own.facts.hostDataDir === '/var/lib/etcd' ? 'ok' : 'error');
});

test('the inventory: a peer URL that contradicts the manifest is refused, a different name only named; values are laid over the facts', async () => {
  const own = await read({ [KUBEADM]: 'manifests/kubeadm-join-etcd.yaml' }, { name: 'other', peerUrl: 'https://10.9.9.9:2380', clientUrl: 'https://lb:2379' });
  assert.ok(own.facts);
  const levels = own.findings.filter((f) => f.level !== 'info').map((f) => `${f.level} ${f.message}`);
  assert.ok(
    levels.some((l) => /^error cp1: the inventory gives the peer URL https:\/\/10\.9\.9\.9:2380 but kubeadm static pod/.test(l)),
    levels.join('\n'),
  );
  assert.ok(levels.some((l) => /^warn cp1: the inventory names the member other/.test(l)));
  assert.deepEqual(own.member.own?.clientUrls, ['https://lb:2379']);
});

test('RKE2 (its pod carries only --config-file): the config file is read for the member, then the layout is refused with the way RKE2 restores', async () => {
  const h = fakeHost({ '/var/lib/rancher/rke2/agent/pod-manifests/etcd.yaml': 'manifests/rke2-etcd.yaml', '/var/lib/rancher/rke2/server/db/etcd/config': 'etcd-config/rke2-etcd-config.yaml' });
  const own = await readOwnMember({ transport: h.transport, probe: h.probe, host }, { manifest: KUBEADM, overrides: {} });
  assert.ok(own.facts, own.problem);
  assert.equal(own.facts.layout, 'rke2');
  assert.ok(own.facts.name.length > 0, 'a name from the config file, never empty');
  const refusal = judgeLayout('cp1', own.facts, KUBEADM);
  assert.match(refusal!.message, /^cp1: unsupported layout: etcd is configured by RKE2 static pod .*`rke2 server --cluster-reset --cluster-reset-restore-path=/);
});

test('kubespray (etcd.service + /etc/etcd.env): read through the same discovery, then refused: this runbook restores static pods', async () => {
  const h = fakeHost(
    { '/etc/systemd/system/etcd.service': 'etcd-config/kubespray-etcd.service', '/etc/etcd.env': 'etcd-config/kubespray-etcd.env' },
    { 'head -c 4': { stdout: ' 7f 45 4c 46\n' }, '/usr/local/bin/etcd --version': { stdout: 'etcd Version: 3.5.16\n' }, 'id -u': { stdout: '0\n0\n' } },
  );
  const own = await readOwnMember({ transport: h.transport, probe: h.probe, host }, { manifest: KUBEADM, overrides: {} });
  assert.ok(own.facts, own.problem);
  assert.equal(own.facts.layout, 'systemd');
  const refusal = judgeLayout('cp1', own.facts, KUBEADM);
  assert.match(refusal!.message, /^cp1: unsupported layout: etcd is configured by systemd unit etcd\.service .*\/etc\/etcd\.env.*this runbook restores kubeadm-style static pods/);
  assert.equal(judgeLayout('cp1', (await read({ [KUBEADM]: 'manifests/kubeadm-init-etcd.yaml' })).facts!, KUBEADM), null);
});

test('no etcd configuration at all: a problem, never an empty member', async () => {
  const own = await read({});
  assert.equal(own.facts, undefined);
  assert.equal(own.member.own, undefined);
  assert.match(own.problem!, /no etcd found on/);
});
