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

/** For each hole: the program whose argv it reaches, or '-' when none (builtin, assignment, redirection). */
function argv(template: string): string[] {
  const holes: number[] = [];
  let text = '';
  for (const c of template) {
    if (c === '@') holes.push(text.length);
    else text += c;
  }
  return scanShellContexts({ text, holes }).holes.map((h) => (h.kind === 'refused' ? 'refused' : (h.argvOf ?? '-')));
}

test("where a value lands when the shell runs: a program's argv, or no process at all", () => {
  // programs
  assert.deepEqual(argv('curl -u user:@ https://x'), ['curl']);
  assert.deepEqual(argv("etcdctl --password '@' get /"), ['etcdctl']);
  assert.deepEqual(argv('X=1 /usr/bin/env FOO=@ tool'), ['/usr/bin/env']);
  assert.deepEqual(argv('a; b | sudo tool "--p=@"'), ['sudo']);
  assert.deepEqual(argv('if true; then tool @; fi'), ['tool']);
  assert.deepEqual(argv('exec tool @'), ['tool']);
  assert.deepEqual(argv('tool >&2 @'), ['tool']);
  assert.deepEqual(argv('tool 2>/dev/null @'), ['tool']);
  assert.deepEqual(argv('echo "$(tool @)"'), ['tool']);
  assert.deepEqual(argv('( tool @ )'), ['tool']);
  assert.deepEqual(argv('@ --version'), ['(the program name itself)']);
  assert.deepEqual(argv('"$TOOL" @'), ['(a program whose name is not plain text)']);
  // builtins, assignments, redirections, stdin
  assert.deepEqual(argv("printf '%s' @ | tool --password-stdin"), ['-']);
  assert.deepEqual(argv('echo @ >/dev/null; test -n "@"; [ "@" = x ]'), ['-', '-', '-']);
  assert.deepEqual(argv('X=@ tool; export Y="@"; Z=\'@\' other'), ['-', '-', '-']);
  assert.deepEqual(argv('tool > @; tool 2>@ <@'), ['-', '-', '-']);
  assert.deepEqual(argv('tool <<< @'), ['-']);
  assert.deepEqual(argv('for x in @; do :; done; case @ in a) :;; esac'), ['-', '-']);
  assert.deepEqual(argv('V=$(printf %s @ | base64)'), ['-']);
  assert.deepEqual(argv('f() { :; }\nf2 @'), ['f2']);
});
