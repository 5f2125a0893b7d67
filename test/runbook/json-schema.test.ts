import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinActions, listActions } from '../../src/actions/registry.js';
import { inventoryJsonSchema, runbookJsonSchema } from '../../src/runbook/json-schema.js';

type Json = Record<string, any>;

test('the JSON Schema describes the runbook format for editors', () => {
  const schema = runbookJsonSchema(builtinActions) as Json;
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(schema.type, 'object');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(new Set(schema.required), new Set(['apiVersion', 'kind', 'metadata', 'steps']));
  assert.equal(schema.properties.apiVersion.const, 'drbook/v1');
  assert.equal(schema.properties.kind.const, 'Runbook');
  assert.deepEqual(schema.properties.params.additionalProperties.properties.type.enum, ['string', 'number', 'boolean', 'path']);
  const step = schema.properties.steps.items as Json;
  assert.equal(step.additionalProperties, false);
  assert.deepEqual(new Set(Object.keys(step.properties)), new Set(['id', 'name', 'uses', 'with', 'run', 'rollback', 'check', 'when', 'timeout', 'retries', 'retryDelay', 'serial', 'onHosts']));
  assert.deepEqual(
    step.properties.uses.enum,
    listActions().map((a) => a.name),
  );
  assert.ok(step.properties.uses.enum.includes('shell'));
  assert.equal(step.properties.with.type, 'object');
  assert.equal(step.oneOf.length, 2);
  assert.equal(step.properties.id.pattern, '^[a-z0-9][a-z0-9-_]*$');
  // the duration pattern is the loader's own
  const timeout = step.properties.timeout.anyOf.find((o: Json) => o.type === 'string');
  assert.ok(new RegExp(timeout.pattern).test('30s') && !new RegExp(timeout.pattern).test('soon'));
  assert.doesNotThrow(() => JSON.stringify(schema));
});

test('the inventory has a JSON Schema too', () => {
  const schema = inventoryJsonSchema() as Json;
  assert.equal(schema.properties.kind.const, 'Inventory');
  assert.equal(schema.additionalProperties, false);
  const host = schema.properties.hosts.additionalProperties.anyOf.find((o: Json) => o.type === 'object');
  assert.deepEqual(host.properties.connection.enum, ['ssh', 'local']);
  assert.deepEqual(host.properties.hostKeyChecking.enum, ['strict', 'accept-new', 'off']);
  assert.equal(host.additionalProperties, false);
});
