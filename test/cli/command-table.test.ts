// The one command table: suggestions for unknown commands and flags, one exit code per
// kind of error for every command and subcommand (a held lock in `drbook sandbox ...`
// included), no stack by default, help on the right stream, file arguments checked
// before the body runs. Pure: bodies are fakes or fail before touching anything.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DrbookError, InputError, type ErrorKind } from '../../src/core/errors.js';
import type { CommandSpec } from '../../src/cli/args.js';
import { DRBOOK, type CommandGroup, type CommandModule } from '../../src/cli/command-table.js';
import { runCli } from '../../src/cli/dispatch.js';
import { exitCodeOf } from '../../src/cli/exit-codes.js';

interface Result {
  code: number;
  out: string;
  err: string;
}

async function cli(argv: string[], root: CommandGroup = DRBOOK): Promise<Result> {
  let out = '';
  let err = '';
  const code = await runCli(argv, root, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const noStack = (r: Result) => assert.doesNotMatch(r.err, /\n\s+at .+:\d+:\d+/, `a stack trace on stderr:\n${r.err}`);

function fake(name: string, body: CommandModule['run'], extra: Partial<CommandSpec> = {}): CommandModule {
  return { spec: { name, usage: `drbook ${name}`, summary: `fake ${name}`, options: { yes: { type: 'boolean', short: 'y' }, 'state-dir': { type: 'string' } }, optionHelp: [], ...extra }, run: body };
}

/** A table shaped like drbook's: a leaf, and a `sandbox` group whose `up` throws what it is told. */
function fakeTable(thrown: () => unknown, exitCode = 0): CommandGroup {
  const body = async () => {
    const error = thrown();
    if (error !== undefined) throw error;
    return exitCode;
  };
  return {
    summary: 'root',
    about: 'test root',
    subcommands: {
      run: { summary: 'run', load: async () => fake('run', body) },
      sandbox: {
        summary: 'sandbox',
        about: 'sandbox group',
        subcommands: { up: { summary: 'up', load: async () => fake('sandbox up', body) }, down: { summary: 'down', load: async () => fake('sandbox down', body) } },
      },
    },
  };
}

test('unknown commands get a suggestion, exit 2, no stack; at every level of the table', async () => {
  const ruun = await cli(['ruun']);
  assert.equal(ruun.code, 2);
  assert.match(ruun.err, /unknown command "ruun" \(did you mean `run`\?\)/);
  assert.equal(ruun.out, '');
  noStack(ruun);
  const far = await cli(['explode']);
  assert.equal(far.code, 2);
  assert.match(far.err, /unknown command "explode" \(known: run, plan, validate, schema, runs, /);
  const sub = await cli(['sandbox', 'stauts']);
  assert.equal(sub.code, 2);
  assert.match(sub.err, /drbook sandbox: unknown command "stauts" \(did you mean `status`\?\)/);
  noStack(sub);
  const flagFirst = await cli(['--yes']);
  assert.equal(flagFirst.code, 2);
  assert.match(flagFirst.err, /--yes before a command/);
});

test('unknown flags get a suggestion, exit 2, no stack; sandbox subcommands too', async () => {
  const yse = await cli(['run', 'r.yaml', '--yse']);
  assert.equal(yse.code, 2);
  assert.match(yse.err, /drbook run: Unknown option '--yse' \(did you mean `--yes`\?\)/);
  assert.match(yse.err, /hint: see `drbook run --help`/);
  noStack(yse);
  const nods = await cli(['sandbox', 'up', '--nods', '3']);
  assert.equal(nods.code, 2);
  assert.match(nods.err, /drbook sandbox up: Unknown option '--nods' \(did you mean `--nodes`\?\)/);
  const far = await cli(['runs', '--bogus']);
  assert.equal(far.code, 2);
  assert.match(far.err, /Unknown option '--bogus'\n/, 'no suggestion when nothing is close');
  // The same parser counts positionals for every command.
  assert.match((await cli(['runs', 'extra'])).err, /drbook runs: unexpected argument "extra"/);
  assert.match((await cli(['report'])).err, /drbook report: missing argument/);
  assert.match((await cli(['sandbox', 'snapshot'])).err, /drbook sandbox snapshot: missing argument/);
});

test('one exit code per kind of error, the same in a sandbox subcommand as in a command', async () => {
  const expected: Record<ErrorKind, number> = { input: 2, locked: 2, step: 1, unreachable: 1, timeout: 1, cancelled: 1, journal: 1, internal: 1 };
  for (const [kind, code] of Object.entries(expected) as Array<[ErrorKind, number]>) {
    const error = () => new DrbookError(kind, `a ${kind} error`, { host: 'node1' });
    for (const argv of [['run'], ['sandbox', 'up']]) {
      const r = await cli(argv, fakeTable(error));
      assert.equal(r.code, code, `${kind} in ${argv.join(' ')}`);
      assert.equal(r.err, `error: [host node1] a ${kind} error\n`);
      assert.equal(exitCodeOf(error()), code);
    }
  }
  // A held lock in a sandbox command: refused before any change, exit 2 (it was 1 there once).
  const held = await cli(
    ['sandbox', 'up'],
    fakeTable(() => new DrbookError('locked', 'the sandbox folder is locked by pid 4242', { hint: 'wait for it' })),
  );
  assert.equal(held.code, 2);
  assert.match(held.err, /locked by pid 4242\n {2}hint: wait for it/);
  const input = await cli(
    ['sandbox', 'down'],
    fakeTable(() => new InputError([{ message: 'one' }, { message: 'two' }], 'fix them')),
  );
  assert.equal(input.code, 2);
  assert.equal(input.err, 'error: 2 problems:\none\ntwo\nhint: fix them\n');
  // A body's own code passes through (3: changes still applied, 130: interrupted).
  for (const code of [0, 1, 3, 130])
    assert.equal(
      (
        await cli(
          ['sandbox', 'up'],
          fakeTable(() => undefined, code),
        )
      ).code,
      code,
    );
});

test('an unexpected error prints one line and how to get the stack; DRBOOK_DEBUG=1 prints the stack', async (t) => {
  const bug = () => new TypeError('cannot read properties of undefined (reading "x")\nsecond line');
  const previous = process.env.DRBOOK_DEBUG;
  t.after(() => (previous === undefined ? delete process.env.DRBOOK_DEBUG : (process.env.DRBOOK_DEBUG = previous)));
  delete process.env.DRBOOK_DEBUG;
  const quiet = await cli(['sandbox', 'up'], fakeTable(bug));
  assert.equal(quiet.code, 1);
  assert.equal(quiet.err, 'error: cannot read properties of undefined (reading "x")\n(this is a bug in drbook; run with DRBOOK_DEBUG=1 for the stack)\n');
  process.env.DRBOOK_DEBUG = '1';
  const loud = await cli(['run'], fakeTable(bug));
  assert.equal(loud.code, 1);
  assert.match(loud.err, /TypeError: cannot read properties[\s\S]*\n\s+at /);
});

test('help: --help and `help X` on stdout with 0; no command is a usage error on stderr with 2', async () => {
  const top = await cli(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.out, /^drbook \S+ — disaster-recovery runbooks/);
  assert.match(top.out, /\n {2}sandbox\s+A local stand-in/);
  assert.match(top.out, /Exit codes: 0 done/);
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.equal(none.out, '');
  assert.match(none.err, /Usage: drbook <command>/);
  const sandboxNone = await cli(['sandbox']);
  assert.equal(sandboxNone.code, 2);
  assert.match(sandboxNone.err, /Usage: drbook sandbox <command>/);
  const helpUp = await cli(['help', 'sandbox', 'up']);
  assert.equal(helpUp.code, 0);
  assert.match(helpUp.out, /Usage: drbook sandbox up /);
  const schemaHelp = await cli(['schema', '--help']);
  assert.match(schemaHelp.out, /--inventory/);
  assert.match((await cli(['--version'])).out, /^\d+\.\d+\.\d+\n$/);
});

test('a missing file named in an argument or a flag: the flag, the path and what was expected, exit 2, before the body runs', async () => {
  let ran = false;
  const table: CommandGroup = {
    summary: 'root',
    about: 'root',
    subcommands: {
      go: {
        summary: 'go',
        load: async () =>
          fake('go', async () => ((ran = true), 0), {
            usage: 'drbook go RUNBOOK [-i INVENTORY]',
            positionals: [1, 1],
            options: { inventory: { type: 'string', short: 'i' } },
            files: [
              { at: 0, what: 'a runbook' },
              { at: 'inventory', what: 'an inventory' },
            ],
          }),
      },
    },
  };
  const both = await cli(['go', '/nonexistent/r.yaml', '-i', '/nonexistent/i.yaml'], table);
  assert.equal(both.code, 2);
  assert.equal(ran, false);
  assert.match(both.err, /RUNBOOK \/nonexistent\/r\.yaml: no such file; expected a runbook\n/);
  assert.match(both.err, /-i\/--inventory \/nonexistent\/i\.yaml: no such file; expected an inventory\n/);
  assert.doesNotMatch(both.err, /ENOENT/);
  const folder = await cli(['go', '/tmp'], table);
  assert.match(folder.err, /RUNBOOK \/tmp: is a folder, not a file/);
  // The real commands declare theirs.
  for (const argv of [
    ['run', '/nonexistent/restore.yaml'],
    ['plan', '/nonexistent/restore.yaml'],
    ['rehearse', '/nonexistent/restore.yaml', '--snapshot', '/x'],
  ]) {
    const r = await cli(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, /RUNBOOK \/nonexistent\/restore\.yaml: no such file; expected a runbook \(YAML, kind: Runbook\)/);
    assert.doesNotMatch(r.err, /ENOENT/);
  }
  const inventory = await cli(['plan', 'runbooks/etcd-restore.yaml', '-i', '/nonexistent/inv.yaml']);
  assert.match(inventory.err, /-i\/--inventory \/nonexistent\/inv\.yaml: no such file; expected an inventory/);
});
