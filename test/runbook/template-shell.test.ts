// Template quoting, proven by a real shell: every hostile value must come back
// byte-exact and must never run. Each command runs under /bin/sh (dash here) and,
// when present, bash (which has more syntax: $'...', $"..."), in a fresh temp dir.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderCommand } from '../../src/runbook/template.js';
import { MASK } from '../../src/shell/command.js';
import { scope } from './helpers.js';

const SHELLS = ['/bin/sh', '/bin/bash'].filter((s) => existsSync(s));

const HOSTILE = [
  '$(touch X)',
  '`touch X`',
  "'; touch X; '",
  '"; touch X; "',
  'a\nb; touch X',
  '\n; touch X\n',
  'it\'s "quoted" \\ back\\slash',
  '$HOME ${HOME} $((1+1)) *',
  "'\\''; touch X; '\\''",
  '\\"; touch X; #',
  "$'\\x41'; touch X",
  '}; touch X; {',
  ')); touch X; ((',
  '-n',
  '',
  ' leading and trailing ',
  'ümlaut ✓ \t tab',
];

// {{ v }} in each quoting context, with what printf should print around the value.
const CONTEXTS: Array<{ name: string; template: string; before: string; after: string }> = [
  { name: 'outside quotes', template: "printf '%s' {{ params.v }}", before: '', after: '' },
  { name: 'outside quotes, glued to text', template: "printf '%s' pre{{ params.v }}post", before: 'pre', after: 'post' },
  { name: "inside '...'", template: "printf '%s' 'pre {{ params.v }} post'", before: 'pre ', after: ' post' },
  { name: 'inside "..."', template: 'printf \'%s\' "pre {{ params.v }} post"', before: 'pre ', after: ' post' },
  { name: 'inside "$( ... )" (plain again)', template: "printf '%s' \"$(printf '%s' {{ params.v }}; echo .)\"", before: '', after: '.' },
  { name: 'two values in one "..."', template: 'printf \'%s\' "{{ params.v }}|{{ params.v }}"', before: '', after: '' },
];

/** Run a script (with the environment its secrets travel in) in a fresh dir. */
function runIn(shell: string, command: string, env: Record<string, string> = {}): { stdout: string; created: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'drbook-quote-'));
  try {
    const result = spawnSync(shell, ['-c', command], { cwd: dir, encoding: 'utf8', timeout: 10_000, env: { ...process.env, ...env } });
    assert.equal(result.status, 0, `${shell} -c ${command}\nstderr: ${result.stderr}`);
    return { stdout: result.stdout, created: readdirSync(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the harness detects an injection (naive substitution creates X)', () => {
  const { created } = runIn('/bin/sh', "printf '%s' " + '$(touch X)');
  assert.deepEqual(created, ['X']);
});

for (const context of CONTEXTS) {
  test(`hostile values ${context.name} come back byte-exact and never run`, () => {
    for (const shell of SHELLS) {
      for (const value of HOSTILE) {
        for (const secret of [false, true]) {
          const command = renderCommand(context.template, scope({ v: value }, secret ? ['v'] : []));
          const { stdout, created } = runIn(shell, command.toShell(), command.secretEnv());
          const expected = context.name.startsWith('two values') ? `${value}|${value}` : context.before + value + context.after;
          assert.equal(stdout, expected, `${shell}, value ${JSON.stringify(value)}, command ${command.toShell()}`);
          assert.deepEqual(created, [], `${shell} ran injected text from ${JSON.stringify(value)}: ${command.toShell()}`);
          if (secret && value.length > 0) assert.ok(!command.toDisplay().includes(value), 'secret shown in display');
          if (secret && value.trim().length > 1) assert.ok(!command.toShell().includes(value), `secret in the script (the shell's argv): ${command.toShell()}`);
        }
      }
    }
  });
}

test('a secret is masked by toDisplay() in every context, and only in the environment of toShell()', () => {
  for (const context of CONTEXTS) {
    const command = renderCommand(context.template, scope({ v: 's3cr3t pass' }, ['v']));
    assert.ok(command.toDisplay().includes(MASK), command.toDisplay());
    assert.ok(!command.toDisplay().includes('s3cr3t'), command.toDisplay());
    assert.ok(!command.toShell().includes('s3cr3t'), command.toShell());
    assert.ok(command.toShell().includes('"${DRBOOK_SECRET_v?}"'), command.toShell());
    assert.deepEqual(command.secretEnv(), { DRBOOK_SECRET_v: 's3cr3t pass' });
    assert.ok(command.secrets.includes('s3cr3t pass'));
    assert.ok(!JSON.stringify(command.toRecord()).includes('s3cr3t'));
  }
});

test('`| raw` opts out of quoting: the value is shell code', () => {
  const command = renderCommand('{{ params.code | raw }} && printf %s {{ params.v }}', scope({ code: 'touch X', v: 'a b' }));
  assert.deepEqual(command.parts, [
    { t: 'lit', v: 'touch X && printf %s ' },
    { t: 'arg', v: 'a b' },
  ]);
  const { stdout, created } = runIn('/bin/sh', command.toShell());
  assert.equal(stdout, 'a b');
  assert.deepEqual(created, ['X']);
});

test('values after raw text are quoted for the context the raw text leaves', () => {
  // The raw value opens a double quote: the next value lands inside it.
  const command = renderCommand("printf '%s' {{ params.open | raw }}{{ params.v }}\"", scope({ open: '"x', v: '$(touch X)' }));
  const { stdout, created } = runIn('/bin/sh', command.toShell());
  assert.equal(stdout, 'x$(touch X)');
  assert.deepEqual(created, []);
});

test('a list outside quotes becomes several quoted words', () => {
  const command = renderCommand("printf '<%s>' {{ host.vars.files }}", scope({}, [], { files: ['a b', '$(touch X)', 3] }));
  const { stdout, created } = runIn('/bin/sh', command.toShell());
  assert.equal(stdout, '<a b><$(touch X)><3>');
  assert.deepEqual(created, []);
});

// The values that break each quoting context (a subset, to keep the run short).
const SHARPEST = ['$(touch X)', '`touch X`', "'; touch X; '", '"; touch X; "', 'a\nb; touch X', ')); touch X; ((', ''];

// Valid shell that a naive lexer gets wrong: each prints exactly `want(v)`.
const TRICKY: Array<{ template: string; want: (v: string) => string }> = [
  { template: "f() { printf '%s' {{ params.v }}; }; f", want: (v) => v },
  { template: '[ -n "{{ params.v }}" ] || true; printf \'%s\' "{{ params.v }}"', want: (v) => v },
  { template: 'echo "${HOME+}" >/dev/null; : $((1+2)); printf \'%s\' {{ params.v }}', want: (v) => v },
  { template: 'X=$(cat <<EOF\nabc)\'"\nEOF\n); printf \'%s\' "$X" {{ params.v }}', want: (v) => `abc)'"${v}` },
  { template: "cat <<-'EOF' >/dev/null\n\tit's\n\tEOF\nprintf '%s' {{ params.v }}", want: (v) => v },
  { template: ": \"it's\"; printf '%s' '{{ params.v }}'", want: (v) => v },
  { template: "# it's a \"comment\n printf '%s' {{ params.v }}", want: (v) => v },
  { template: "printf '%s' a#b'c' {{ params.v }}", want: (v) => `a#bc${v}` },
  { template: "case x in x) printf '%s' {{ params.v }};; esac", want: (v) => v },
  { template: 'printf \'%s\' "$(printf \'%s\' ")") {{ params.v }}"', want: (v) => `) ${v}` },
  { template: "printf '%s' \"$(case x in x) printf '%s' {{ params.v }};; esac; echo .)\"", want: (v) => `${v}.` },
  { template: "printf '%s' \"$(printf '%s' '(')\"{{ params.v }}", want: (v) => `(${v}` },
];

test('hostile values in tricky but valid shell come back byte-exact and never run', () => {
  for (const { template, want } of TRICKY) {
    for (const value of SHARPEST) {
      for (const secret of [false, true]) {
        const command = renderCommand(template, scope({ v: value }, secret ? ['v'] : []));
        for (const shell of SHELLS) {
          const { stdout, created } = runIn(shell, command.toShell(), command.secretEnv());
          assert.equal(stdout, want(value), `${shell}, value ${JSON.stringify(value)}, command ${command.toShell()}`);
          assert.deepEqual(created, [], `${shell} ran injected text from ${JSON.stringify(value)}: ${command.toShell()}`);
        }
      }
    }
  }
});

test('\\{{ is a literal {{ (Go templates of kubectl/crictl), the backslash dropped', () => {
  const command = renderCommand("printf '%s' '\\{{.metadata.name}}' {{ params.v }}", scope({ v: 'x' }));
  assert.equal(command.toShell(), "printf '%s' '{{.metadata.name}}' x");
  assert.equal(runIn('/bin/sh', command.toShell()).stdout, '{{.metadata.name}}x');
});

test('a script that lost the environment of its secrets fails instead of running with an empty secret', () => {
  const command = renderCommand("printf '%s' {{ params.v }}; touch ran", scope({ v: 'a-secret' }, ['v']));
  const dir = mkdtempSync(join(tmpdir(), 'drbook-lost-env-'));
  try {
    const result = spawnSync('/bin/sh', ['-c', command.toShell()], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /DRBOOK_SECRET_v/);
    assert.deepEqual(readdirSync(dir), [], 'nothing after the reference ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
