import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { builtinInventory, loadInventory } from '../../src/inventory/load.js';
import { resolveTargets, selectHosts } from '../../src/inventory/targets.js';
import { fixture } from '../runbook/helpers.js';

const names = (hosts: Array<{ name: string }>): string[] => hosts.map((h) => h.name);

test('resolveTargets: a group in its order, a host, local, all', async () => {
  const inventory = await loadInventory(fixture('inventories', 'masters.yaml'));
  assert.deepEqual(names(resolveTargets(inventory, 'masters')), ['m1', 'm2', 'm3']);
  assert.deepEqual(names(resolveTargets(inventory, 'm2')), ['m2']);
  assert.deepEqual(names(resolveTargets(inventory, 'local')), ['local']);
  assert.deepEqual(names(resolveTargets(inventory, 'all')), ['m1', 'm2', 'm3', 'bastion']);
  assert.equal(resolveTargets(builtinInventory(), 'local')[0]!.connection, 'local');
});

test('resolveTargets: an unknown target lists groups and hosts', async () => {
  const inventory = await loadInventory(fixture('inventories', 'masters.yaml'));
  assert.throws(
    () => resolveTargets(inventory, 'master'),
    (e: Error) => e instanceof InputError && /unknown target `master` \(did you mean `masters`\?\).*groups: all, masters, dc-east; hosts: m1, m2, m3, bastion, local/.test(e.message),
  );
  assert.throws(() => resolveTargets(builtinInventory(), 'masters'), /built-in inventory .*pass -i INVENTORY/);
});

test('selectHosts: names or groups, kept in the run order, within the run', async () => {
  const inventory = await loadInventory(fixture('inventories', 'masters.yaml'));
  const run = resolveTargets(inventory, 'masters');
  assert.deepEqual(names(selectHosts(run)), ['m1', 'm2', 'm3']);
  assert.deepEqual(names(selectHosts(run, ['m3', 'm1'])), ['m1', 'm3']);
  assert.deepEqual(names(selectHosts(run, ['dc-east', 'm2'])), ['m2', 'm3']);
  assert.deepEqual(names(selectHosts(run, ['all'])), ['m1', 'm2', 'm3']);
  assert.throws(
    () => selectHosts(run, ['m1', 'bastion', 'nowhere']),
    (e: Error) => e instanceof InputError && e.issues.length === 2 && /`bastion` is not one of the run's hosts \(m1, m2, m3\) nor a group of them \(masters, dc-east\)/.test(e.message),
  );
});
