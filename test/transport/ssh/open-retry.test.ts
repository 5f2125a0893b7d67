import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isChannelOpenRefusal, retryOpenRefusals } from '../../../src/transport/ssh/run-channel.js';

const refusal = () => Object.assign(new Error('(SSH) Channel open failure: open failed'), { reason: 1 });

test('a channel the server refuses while it frees a session slot is opened on a later try', async () => {
  let calls = 0;
  const value = await retryOpenRefusals(async () => {
    calls++;
    if (calls < 3) throw refusal();
    return 'channel';
  });
  assert.equal(value, 'channel');
  assert.equal(calls, 3);
});

test('other errors are not retried, and a lasting refusal gives up after a bounded number of tries', async () => {
  let calls = 0;
  await assert.rejects(
    retryOpenRefusals(async () => {
      calls++;
      throw new Error('Not connected');
    }),
    /Not connected/,
  );
  assert.equal(calls, 1);
  calls = 0;
  await assert.rejects(
    retryOpenRefusals(async () => {
      calls++;
      throw refusal();
    }),
    /Channel open failure/,
  );
  assert.equal(calls, 6);
  assert.equal(isChannelOpenRefusal(refusal()), true);
  assert.equal(isChannelOpenRefusal(new Error('timed out')), false);
});
