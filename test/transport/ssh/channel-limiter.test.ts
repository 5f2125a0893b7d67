import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelLimiter, type Release } from '../../../src/transport/ssh/channel-limiter.js';

const settled = () => new Promise((r) => setImmediate(r));

test('one slot of maxChannels is held back for kills', () => {
  assert.deepEqual([new ChannelLimiter(10).normalCapacity, new ChannelLimiter(10).totalCapacity], [9, 10]);
  assert.deepEqual([new ChannelLimiter(2).normalCapacity, new ChannelLimiter(2).totalCapacity], [1, 2]);
  // With a single channel, a kill must still be possible: it may go one over.
  assert.deepEqual([new ChannelLimiter(1).normalCapacity, new ChannelLimiter(1).totalCapacity], [1, 2]);
});

test('work beyond the limit queues in FIFO order and starts as slots free up', async () => {
  const limiter = new ChannelLimiter(3); // 2 for work
  const order: string[] = [];
  const take = (name: string) => limiter.acquire().then((release) => (order.push(name), release));
  const a = await take('a');
  const b = await take('b');
  const c = take('c');
  const d = take('d');
  await settled();
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(limiter.queued, 2);
  a();
  a(); // releasing twice frees one slot only
  await settled();
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.equal(limiter.inUse, 2);
  b();
  (await c)();
  (await d)();
  assert.deepEqual(order, ['a', 'b', 'c', 'd']);
  assert.equal(limiter.inUse, 0);
});

test('a kill gets the reserved slot at once, even with work queued', async () => {
  const limiter = new ChannelLimiter(2);
  const work = await limiter.acquire();
  const queued = limiter.acquire();
  const kill = await limiter.acquire('control');
  assert.equal(limiter.inUse, 2);
  kill();
  await settled();
  assert.equal(limiter.queued, 1, 'the reserve is not given to ordinary work');
  work();
  (await queued)();
});

test('an aborted request leaves the queue', async () => {
  const limiter = new ChannelLimiter(2);
  const held = await limiter.acquire();
  const controller = new AbortController();
  const waiting = limiter.acquire('normal', controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  assert.equal(limiter.queued, 0);
  held();
  assert.equal(limiter.inUse, 0);
});

test('queued work asks idle holders to give their slot back', async () => {
  const limiter = new ChannelLimiter(2);
  let idle: Release | undefined = await limiter.acquire(); // e.g. the SFTP session
  let asked = 0;
  limiter.addReclaimer(() => {
    asked++;
    idle?.();
    idle = undefined;
  });
  const release = await limiter.acquire();
  assert.equal(asked, 1);
  release();
});

test("a channel held for the whole run (the host lock) is taken out of the pool, never from ordinary work's last slot", async () => {
  const limiter = new ChannelLimiter(3); // 2 for work, 1 for kills
  const release = limiter.hold();
  assert.ok(release);
  assert.deepEqual([limiter.normalCapacity, limiter.totalCapacity], [1, 2]);
  assert.equal(limiter.hold(), undefined, 'a second hold would leave work no slot');
  const work = await limiter.acquire();
  const queued = limiter.acquire();
  await settled();
  assert.equal(limiter.queued, 1);
  release!();
  release!(); // twice gives back one slot only
  (await queued)();
  assert.deepEqual([limiter.normalCapacity, limiter.totalCapacity], [2, 3]);
  work();
  assert.equal(new ChannelLimiter(2).hold(), undefined, 'maxChannels 2: no room for a held channel');
});
