// The in-flight guard around a change's command, run by the real sh with real flock,
// and the reading of the holder's report lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { guardCommand } from '../../src/hostlock/commands.js';
import { parseHolderLine } from '../../src/hostlock/holder-script.js';
import { Secret, sh } from '../../src/shell/command.js';
import { LocalTransport } from '../../src/transport/local.js';

async function folder(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-guard-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'runs'));
  return { dir, inflight: join(dir, 'runs/r1.inflight') };
}
const exclusiveFree = async (file: string) => (await execa('flock', ['-n', '-x', file, 'true'], { reject: false })).exitCode === 0;

test("a guarded command holds its run's in-flight lock exactly while it runs; status, stdin and output pass through", async (t) => {
  const { dir, inflight } = await folder(t);
  const local = new LocalTransport('node1');
  const running = local.exec({ command: guardCommand(dir, 'r1', sh`read x; sleep 0.5; echo "got $x"; exit 7`), stdin: 'hello\n' });
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(await exclusiveFree(inflight), false, 'held (shared) while the command runs');
  const result = await running;
  assert.equal(result.exitCode, 7);
  assert.equal(result.stdout, 'got hello\n');
  assert.equal(await exclusiveFree(inflight), true, 'free once it ended');
});

test('a daemon the command leaves behind does not keep the lock; a shell script with comments, case and a here-doc runs unchanged', async (t) => {
  const { dir, inflight } = await folder(t);
  const local = new LocalTransport('node1');
  const pidFile = join(dir, 'daemon.pid');
  const result = await local.exec({
    command: guardCommand(
      dir,
      'r1',
      sh`sleep 5 >/dev/null 2>&1 & echo $! > ${pidFile}
case x in x) echo case-ok;; esac
cat <<EOF2
here )
EOF2
# a trailing comment`,
    ),
  });
  t.after(async () => {
    const pid = Number((await execa('cat', [pidFile], { reject: false })).stdout);
    if (pid > 0) process.kill(pid, 'SIGKILL');
  });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stdout, 'case-ok\nhere )\n');
  assert.equal(await exclusiveFree(inflight), true, 'the daemon does not hold the in-flight lock');
});

test("the guard keeps a command's secret parts as secret parts: masked on display, never pasted elsewhere", () => {
  const guarded = guardCommand('/var/lib/drbook', 'r1', sh`curl -H ${new Secret('token', 's3cr3t')} https://x`);
  assert.deepEqual(guarded.secrets, ['s3cr3t']);
  assert.doesNotMatch(guarded.toDisplay(), /s3cr3t/);
  assert.equal(guarded.toRecord().filter((p) => p.t === 'secret').length, 1);
  assert.match(guarded.toDisplay(), /8>>\/var\/lib\/drbook\/runs\/r1\.inflight$/);
});

test("the holder's report lines: markers by run id (a damaged one says why), in-flight runs, the lock; anything else is ignored", () => {
  assert.deepEqual(parseHolderLine('DRBOOK_HOSTLOCK locked 4242'), { kind: 'locked', holderPid: 4242 });
  assert.deepEqual(parseHolderLine('DRBOOK_HOSTLOCK inflight 20261123T091530Z-3fa9'), { kind: 'inflight', runId: '20261123T091530Z-3fa9' });
  const good = parseHolderLine('DRBOOK_HOSTLOCK marker r1 {"runId":"r1","runbook":"b","machine":"m","user":"u","pid":1,"stateDir":"/s","startedAt":"t","at":"t","hosts":["h"]}');
  assert.equal(good?.kind === 'marker' && good.marker.record?.machine, 'm');
  const damaged = parseHolderLine('DRBOOK_HOSTLOCK marker r2 {"runId":"r2"');
  assert.equal(damaged?.kind === 'marker' && damaged.marker.problem, 'not a JSON object');
  const other = parseHolderLine('DRBOOK_HOSTLOCK marker r3 {"runId":"r9","runbook":"b","machine":"m","user":"u","pid":1,"stateDir":"/s","startedAt":"t","at":"t","hosts":[]}');
  assert.match(other?.kind === 'marker' ? (other.marker.problem ?? '') : '', /names run r9/);
  assert.equal(parseHolderLine('DRBOOK_HOSTLOCK marker ../etc {}'), undefined, 'a file name that is no run id');
  assert.equal(parseHolderLine('DRBOOK_HOSTLOCK locked -1'), undefined);
  assert.equal(parseHolderLine('something else'), undefined);
});

test('with a heartbeat (over SSH), the holder keeps the lock while bytes come and lets go when they stop', async (t) => {
  const { dir } = await folder(t);
  const { PassThrough } = await import('node:stream');
  const { holderCommand } = await import('../../src/hostlock/holder-script.js');
  const info = { runId: 'r1', runbook: 'b', machine: 'm', user: 'u', pid: 1, stateDir: '/s', purpose: 'run' as const, at: 't' };
  const stdin = new PassThrough();
  const started = Date.now();
  const beat = setInterval(() => stdin.write('.'), 300);
  const running = new LocalTransport('node1').exec({ command: holderCommand(dir, info, 1), stdin, longLived: true });
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await exclusiveFree(join(dir, 'lock')), false, 'held while the heartbeat comes');
  clearInterval(beat);
  const result = await running;
  const heldFor = Date.now() - started;
  assert.ok(heldFor >= 2500 && heldFor < 6000, `let go ${heldFor}ms after the start, about 1 s after the last heartbeat`);
  assert.match(result.stdout, /DRBOOK_HOSTLOCK locked \d+/);
  stdin.end();
});
