import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { durationField, formatDuration, listField, parseDuration } from '../../src/actions/fields.js';

test('parseDuration reads units, combinations and plain seconds', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('2m'), 120_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration(30), 30_000);
  assert.equal(parseDuration('45'), 45_000);
  assert.equal(parseDuration('1.5s'), 1500);
});

test('parseDuration rejects what is not a duration', () => {
  for (const bad of ['', 'soon', '10x', 's', '1m 30s', '-5s']) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(parseDuration(-1), undefined);
});

test('durationField gives milliseconds, a default, and a clear error', () => {
  const schema = z.strictObject({ timeout: durationField('2m') });
  assert.equal(schema.parse({}).timeout, 120_000);
  assert.equal(schema.parse({ timeout: '5s' }).timeout, 5000);
  const result = schema.safeParse({ timeout: 'forever' });
  assert.equal(result.success, false);
  assert.match(result.error!.issues[0]!.message, /expected a duration such as "90s"/);
});

test('listField takes a list or a comma-separated string', () => {
  const schema = listField();
  assert.deepEqual(schema.parse(['a', 'b']), ['a', 'b']);
  assert.deepEqual(schema.parse('a, b,,c'), ['a', 'b', 'c']);
});

test('formatDuration is short and exact', () => {
  assert.equal(formatDuration(450), '450ms');
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(120_000), '2m');
  assert.equal(formatDuration(3_660_000), '1h1m');
});
