import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanShellContexts } from '../../src/runbook/shell-context.js';

/** `@` marks a hole in these skeletons (none of them uses a real `@`). */
function scan(template: string): { kinds: string[]; unclosed?: string } {
  const holes: number[] = [];
  let text = '';
  for (const c of template) {
    if (c === '@') holes.push(text.length);
    else text += c;
  }
  const result = scanShellContexts({ text, holes });
  return { kinds: result.holes.map((h) => (h.kind === 'refused' ? `refused: ${h.reason}` : h.kind)), ...(result.unclosed ? { unclosed: result.unclosed } : {}) };
}

test('quoting state of each hole', () => {
  assert.deepEqual(scan(`a @ '@' "@" '"@"' "'@'" @`).kinds, ['plain', 'single', 'double', 'single', 'double', 'plain']);
  assert.deepEqual(scan(`"$(echo @ "@" '@')" @`).kinds, ['plain', 'double', 'single', 'plain']);
  assert.deepEqual(scan(`"a\\"@" 'b\\'@`).kinds, ['double', 'plain']); // no escapes inside '...'
  assert.deepEqual(scan('echo $(( 1 << 2 )) @').kinds, ['plain']);
});

test('a template as here-document delimiter loses the thread: every later hole is refused', () => {
  assert.deepEqual(scan('cat <<@\nbody\n\necho @').kinds, ['refused: as a here-document delimiter', 'refused: after a here-document whose delimiter is a template']);
});

test('text that does not parse is reported', () => {
  assert.equal(scan(`echo 'open @`).unclosed, "a ' quote");
  assert.equal(scan('echo "$(date @"').unclosed, 'a " quote');
  assert.equal(scan('cat <<EOF\nno end').unclosed, 'a here-document (no line `EOF`)');
  assert.equal(scan('echo fine # it\'s "fine"').unclosed, undefined);
});
