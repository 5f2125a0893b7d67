import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { evaluateWhen, findTemplateRefs, renderArgs, renderCommand, renderValue } from '../../src/runbook/template.js';
import { ShellCommand } from '../../src/shell/command.js';
import { scope } from './helpers.js';

test('findTemplateRefs: paths, offsets, raw, malformed', () => {
  const text = 'a {{ params.x }} b {{host.vars.etcd.name|raw}} {{ 1bad }} {{ params.y | upper }} {{ open';
  const refs = findTemplateRefs(text);
  assert.equal(refs.length, 5);
  assert.deepEqual(refs[0], { start: 2, end: 16, expr: 'params.x', path: ['params', 'x'], raw: false });
  assert.equal(text.slice(refs[1]!.start, refs[1]!.end), '{{host.vars.etcd.name|raw}}');
  assert.deepEqual(refs[1]!.path, ['host', 'vars', 'etcd', 'name']);
  assert.equal(refs[1]!.raw, true);
  assert.match(refs[2]!.error!, /`1bad` is not a variable name/);
  assert.match(refs[3]!.error!, /unknown filter `upper`/);
  assert.match(refs[4]!.error!, /unclosed `\{\{`/);
  assert.deepEqual(findTemplateRefs('no templates { here }'), []);
});

test('renderValue: a sole template keeps the native type; mixed text becomes a string', () => {
  const s = scope({ n: 3, b: false, p: '/x' }, [], { list: [1, 2], nested: { k: 'v' } });
  assert.equal(renderValue('{{ params.n }}', s), 3);
  assert.equal(renderValue('  {{ params.b }} ', s), false);
  assert.deepEqual(renderValue('{{ host.vars.list }}', s), [1, 2]);
  assert.equal(renderValue('{{ host.vars.nested.k }}', s), 'v');
  assert.equal(renderValue('n={{ params.n }} at {{ host.name }}/{{ host.address }} run {{ run.id }} {{ run.startedAt }}', s), 'n=3 at m1/10.0.0.11 run run-20240101-abc 2024-01-01T00:00:00.000Z');
  assert.deepEqual(renderValue({ a: ['{{ params.p }}/data', 7, null], b: { c: '{{ params.n }}' } }, s), { a: ['/x/data', 7, null], b: { c: 3 } });
});

test('renderValue reports the secrets it renders', () => {
  const secrets = new Set<string>();
  const out = renderValue({ token: '{{ params.t }}', url: 'https://u:{{ params.t }}@h', plain: '{{ params.n }}' }, scope({ t: 'hunter22', n: 1 }, ['t']), secrets);
  assert.deepEqual(out, { token: 'hunter22', url: 'https://u:hunter22@h', plain: 1 });
  assert.deepEqual([...secrets], ['hunter22']);
});

test('an unknown variable at render time is an InputError, never an empty string', () => {
  const s = scope({ a: 'x' }, [], { known: 1 });
  assert.throws(
    () => renderValue('{{ params.missing }}', s),
    (e: Error) => e instanceof InputError && /param `missing` has no value on host m1/.test(e.message),
  );
  assert.throws(
    () => renderValue('x {{ host.vars.nope }}', s),
    (e: Error) => e instanceof InputError && /host var `nope` is not defined for host m1 \(its vars: known\)/.test(e.message),
  );
  assert.throws(() => renderValue('{{ host.vars.known.deeper }}', s), InputError);
  assert.throws(
    () => renderCommand('echo {{ nothing.here }}', s),
    (e: Error) => e instanceof InputError && /unknown template variable `nothing.here`/.test(e.message),
  );
  assert.throws(() => renderValue('{{ params.a | raw }}', s), /`\| raw` only applies to shell commands/);
  const noAddress = { ...s, host: { name: 'h', vars: {} } };
  assert.throws(() => renderCommand('ping {{ host.address }}', noAddress), /host h has no address/);
});

test('renderCommand: literal text stays literal, values become arg/secret parts', () => {
  const command = renderCommand("etcdctl --name {{ host.name }} --pass {{ params.pw }} '{{ params.dir }}'", scope({ pw: 'p w', dir: '/var/lib/etcd' }, ['pw']));
  assert.deepEqual(command.parts, [
    { t: 'lit', v: 'etcdctl --name ' },
    { t: 'arg', v: 'm1' },
    { t: 'lit', v: ' --pass ' },
    { t: 'secret', name: 'pw', v: 'p w', argvOf: 'etcdctl' },
    { t: 'lit', v: " ''" },
    { t: 'arg', v: '/var/lib/etcd' },
    { t: 'lit', v: "''" },
  ]);
  assert.equal(command.toDisplay(), "etcdctl --name m1 --pass *** ''/var/lib/etcd''");
  assert.equal(command.toShell(), `etcdctl --name m1 --pass "\${DRBOOK_SECRET_pw?}" ''/var/lib/etcd''`);
  assert.deepEqual(command.secretEnv(), { DRBOOK_SECRET_pw: 'p w' });
  assert.deepEqual(command.secretsInArgv, [{ name: 'pw', program: 'etcdctl' }]);
  assert.deepEqual(renderCommand('ETCDCTL_PASSWORD={{ params.pw }} etcdctl get /', scope({ pw: 'p w' }, ['pw'])).secretsInArgv, []);
});

test('renderCommand refuses contexts where quoting cannot be made safe', () => {
  const s = scope({ v: 'x', pw: 'secret', bs: '\\' }, ['pw']);
  const cases: Array<[string, RegExp]> = [
    ['echo `cat {{ params.v }}`', /inside backticks/],
    ['echo "`cat {{ params.v }}`"', /inside backticks/],
    ['cat <<EOF\nvalue {{ params.v }}\nEOF', /inside a here-document/],
    ["cat <<'EOF'\n{{ params.v }}\nEOF", /inside a here-document/],
    ['cat <<{{ params.v }}\nbody\nx\necho {{ params.v }}', /as a here-document delimiter/],
    ['echo ${X:-{{ params.v }}}', /inside \$\{ \.\.\. \}/],
    ['echo $(( {{ params.v }} + 1 ))', /inside \$\(\( \.\.\. \)\)/],
    ["echo $'{{ params.v }}'", /inside \$'\.\.\.'/],
    ['echo hi # {{ params.v }}', /inside a shell comment/],
    ['echo {{ params.bs | raw }}{{ params.v }}', /right after a backslash/],
    ['echo ${{ params.v }}', /right after `\$`/],
    ['echo {{ params.pw | raw }}', /secret param `pw` cannot be used with `\| raw`/],
  ];
  for (const [template, reason] of cases) {
    assert.throws(
      () => renderCommand(template, s),
      (e: Error) => e instanceof InputError && reason.test(e.message),
      template,
    );
  }
});

test('renderCommand follows the shell past constructs that look like the end of a quote', () => {
  const s = scope({ v: 'x y' });
  // Text after a here-document, a comment, a case in $( ), and escaped quotes is quoted normally.
  assert.equal(renderCommand('cat <<EOF\nbody\nEOF\necho {{ params.v }}', s).toShell(), "cat <<EOF\nbody\nEOF\necho 'x y'");
  assert.equal(renderCommand('# note\necho {{ params.v }}', s).toShell(), "# note\necho 'x y'");
  assert.equal(renderCommand('echo "$(case a in a) echo;; esac) {{ params.v }}"', s).toShell(), `echo "$(case a in a) echo;; esac) "'x y'""`);
  assert.equal(renderCommand('echo "a\\"b {{ params.v }}"', s).toShell(), `echo "a\\"b "'x y'""`);
  assert.equal(renderCommand("echo 'it''s' {{ params.v }} a#b", s).toShell(), "echo 'it''s' 'x y' a#b");
});

test('evaluateWhen: absent is true; rendered falsy words are false', () => {
  const s = scope({ yes: true, no: false, word: 'no', zero: 0, text: 'restore' });
  assert.equal(evaluateWhen(undefined, s), true);
  assert.equal(evaluateWhen('{{ params.yes }}', s), true);
  assert.equal(evaluateWhen('{{ params.no }}', s), false);
  assert.equal(evaluateWhen('{{ params.word }}', s), false);
  assert.equal(evaluateWhen('{{ params.zero }}', s), false);
  assert.equal(evaluateWhen('{{ params.text }}', s), true);
  assert.equal(evaluateWhen('false', s), false);
});

test('renderArgs: command fields become ShellCommands, the rest values; secrets listed', () => {
  const { args, secrets } = renderArgs(
    { command: 'curl -u admin:{{ params.pw }} {{ host.address }}', match: '{{ params.pattern }}', interval: '2s' },
    ['command'],
    scope({ pw: 'sekrit', pattern: 'ok' }, ['pw']),
  );
  assert.ok(args.command instanceof ShellCommand);
  assert.equal((args.command as ShellCommand).toDisplay(), 'curl -u admin:*** 10.0.0.11');
  assert.equal(args.match, 'ok');
  assert.equal(args.interval, '2s');
  assert.deepEqual(secrets, ['sekrit']);
});
