// Masking on the stream: a secret split across chunks, at a tail cut, overlapping
// another secret or spread over lines is masked; nothing of it is left, whatever the cuts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MASK } from '../../src/shell/command.js';
import { Masker, unmaskableSecretReason } from '../../src/shell/masker.js';
import { StreamMasker } from '../../src/shell/stream-masker.js';
import { OutputTail } from '../../src/engine/output-tail.js';

/** A fragment of `secret` (any `size` consecutive characters) found in `text`. */
function leakedFragment(text: string, secret: string, size = 6): string | undefined {
  for (let i = 0; i + size <= secret.length; i++) if (text.includes(secret.slice(i, i + size))) return secret.slice(i, i + size);
  return undefined;
}

const token = (n: number): string =>
  randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);

function maskerOf(...secrets: string[]): Masker {
  const masker = new Masker();
  masker.add(...secrets);
  return masker;
}

test('the masker replaces every secret, a longer one whole before a shorter one inside it, overlapping ones as one', () => {
  const masker = maskerOf('pass', 'mypassword', 'abcXY', 'XYdef');
  assert.equal(masker.mask('x mypassword pass y'), `x ${MASK} ${MASK} y`);
  assert.equal(masker.mask('[abcXYdef]'), `[${MASK}]`);
  assert.equal(masker.mask('nothing here'), 'nothing here');
});

test('too short secrets are refused with a reason (and never half-masked); empty is fine', () => {
  assert.match(unmaskableSecretReason('abc')!, /at least 4 characters/);
  assert.match(unmaskableSecretReason('  a b  ')!, /at least 4/);
  assert.equal(unmaskableSecretReason(''), undefined);
  assert.equal(unmaskableSecretReason('abcd'), undefined);
});

test('each line of a multi-line secret is masked on its own, so a line-based cut keeps none of it', () => {
  const key = `-----BEGIN KEY-----\n${token(64)}\n${token(64)}\n-----END KEY-----`;
  const masker = maskerOf(key);
  const output = `before\n${key}\nafter`;
  const lastLines = output.split('\n').slice(-3).join('\n'); // what commandFailure keeps
  const masked = masker.mask(lastLines);
  assert.equal(leakedFragment(masked, key), undefined, masked);
  assert.equal(masker.mask(output), `before\n${MASK}\nafter`);
});

test('a secret split across chunks at every position is masked in what is passed on', () => {
  const secret = token(40);
  const text = `start ${secret} middle ${secret}end`;
  for (let cut = 0; cut <= text.length; cut++) {
    for (const second of [cut, Math.min(text.length, cut + 7)]) {
      const stream = new StreamMasker(maskerOf(secret));
      const out = stream.push(text.slice(0, cut)) + stream.push(text.slice(cut, second)) + stream.push(text.slice(second)) + stream.end();
      assert.equal(out, `start ${MASK} middle ${MASK}end`, `cut at ${cut}/${second}`);
    }
  }
});

test('one character at a time, several secrets, prefixes that look like secrets', () => {
  const masker = maskerOf('aab-secret', 'aaa-other', 'bcd-third');
  const text = 'aaab-secretaa aaa-otherbcd-third aab aa';
  const stream = new StreamMasker(masker);
  let out = '';
  for (const c of text) out += stream.push(c);
  out += stream.end();
  assert.equal(out, masker.mask(text));
});

test('what is held back is passed on unchanged when it turns out not to be a secret, and an unfinished secret at the end is masked', () => {
  const stream = new StreamMasker(maskerOf('hunter22-long'));
  assert.equal(stream.push('x hunt'), 'x ');
  assert.equal(stream.push('ing season'), 'hunting season');
  assert.equal(stream.push(' then hunter22-'), ' then ');
  assert.equal(stream.end(), MASK); // the command died while printing it
  const short = new StreamMasker(maskerOf('hunter22-long'));
  assert.equal(short.push('ah') + short.end(), 'ah'); // one letter of it reveals nothing
});

test('the output tail: a secret at the start of a 4,020-character line, or a 10k one, leaves nothing of it in the tail or the live output', () => {
  for (const [secret, line] of [
    [token(40), ''],
    [token(10_000), ''],
  ] as const) {
    const shown: string[] = [];
    const tail = new OutputTail(maskerOf(secret), (_stream, text) => shown.push(text));
    const long = secret + 'x'.repeat(4020 - Math.min(secret.length, 4020)) + line;
    // In chunks of 1000, so the secret is split as well.
    const all = `${long}\n`;
    for (let i = 0; i < all.length; i += 1000) tail.push('stdout', all.slice(i, i + 1000));
    const kept = tail.toString();
    assert.equal(leakedFragment(kept, secret), undefined, `tail keeps a piece of a ${secret.length}-character secret`);
    assert.equal(leakedFragment(shown.join(''), secret), undefined, 'live output shows a piece of it');
    assert.ok(kept.length <= 4000);
    assert.ok(shown.join('').startsWith(MASK));
  }
});

test('stdout and stderr are masked as separate streams', () => {
  const secret = token(20);
  const shown: Array<[string, string]> = [];
  const tail = new OutputTail(maskerOf(secret), (stream, text) => shown.push([stream, text]));
  tail.push('stdout', secret.slice(0, 10));
  tail.push('stderr', 'err\n');
  tail.push('stdout', `${secret.slice(10)}\n`);
  tail.flush();
  assert.equal(
    shown
      .filter(([s]) => s === 'stdout')
      .map(([, t]) => t)
      .join(''),
    `${MASK}\n`,
  );
  assert.equal(
    shown
      .filter(([s]) => s === 'stderr')
      .map(([, t]) => t)
      .join(''),
    'err\n',
  );
});
