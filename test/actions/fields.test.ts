import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { durationField, fileModeField, formatDuration, listField, parseDuration } from '../../src/actions/fields.js';

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

test('fileModeField: octal strings and small numbers are modes; a decimal read of an unquoted 0644 is refused, naming what it would be', () => {
  const field = fileModeField();
  assert.equal(field.parse('0644'), 0o644);
  assert.equal(field.parse('600'), 0o600);
  assert.equal(field.parse('0o640'), 0o640);
  assert.equal(field.parse(0o755), 0o755); // YAML 0o755
  assert.equal(field.parse(undefined), undefined);
  const decimal = field.safeParse(644); // YAML 1.2: `mode: 0644` unquoted
  assert.equal(decimal.success, false);
  assert.match(decimal.error!.issues.map((i) => i.message).join('; '), /decimal 644 \(= 0o1204\).*"0644"/);
  for (const bad of ['0999', 'rw-r--r--', '12345', -1, 1.5]) assert.equal(field.safeParse(bad).success, false, `${JSON.stringify(bad)} must be refused`);
});
