// Taking, holding, losing and finishing host locks with the real holder script, real
// flock and real processes, on local hosts whose state folders are temp dirs (a drbook
// with another state dir stands in for another operator's machine: only the host
// folder is shared). Journal lookups are injected where the test says what they find.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { acquireHostLocks, type AcquireHostLocksRequest, type Notice } from '../../src/hostlock/index.js';
import type { Host } from '../../src/core/inventory.js';
import { sh } from '../../src/shell/command.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { ExecRequest, Transport, TransportPool } from '../../src/core/transport.js';

interface World {
  base: string;
  hosts: Host[];
  dirOf(host: string): string;
  pool: TransportPool;
  notices: Notice[];
  request(runId: string, extra?: Partial<AcquireHostLocksRequest>): AcquireHostLocksRequest;
}

async function world(t: TestContext, names = ['node1'], transport: (name: string) => Transport = (n) => new LocalTransport(n)): Promise<World> {
  const base = await mkdtemp(join(tmpdir(), 'drbook-hostlock-'));
  t.after(() => rm(base, { recursive: true, force: true }));
  const dirOf = (host: string) => join(base, host, 'var/lib/drbook');
  const hosts: Host[] = names.map((name) => ({ name, connection: 'local', ssh: {}, vars: {}, groups: [], hostStateDir: dirOf(name) }));
  const transports = new Map(names.map((n) => [n, transport(n)]));
  const pool: TransportPool = { get: async (n) => transports.get(n)!, closeAll: async () => {} };
  const notices: Notice[] = [];
  const request = (runId: string, extra: Partial<AcquireHostLocksRequest> = {}): AcquireHostLocksRequest => ({
    hosts,
    pool,
    stateDir: join(base, `state-${runId}`),
    runId,
    runbook: 'test-book',
    startedAt: '2026-12-01T10:00:00Z',
    purpose: 'run',
    notify: (n) => notices.push(n),
    lookupRun: async () => ({ readable: false, why: 'not here' }),
    ...extra,
  });
  return { base, hosts, dirOf, pool, notices, request };
}

// Free when no process holds it (flock would create a missing file: a missing one is free).
const isFree = async (lockFile: string) => !existsSync(lockFile) || (await execa('flock', ['-n', lockFile, 'true'], { reject: false })).exitCode === 0;

test('a second run is refused while the first holds the host, naming it; released, the lock is free', async (t) => {
  const w = await world(t);
  const first = await acquireHostLocks(w.request('run-a'));
  t.after(() => first.release());
  assert.equal(await isFree(join(w.dirOf('node1'), 'lock')), false, 'the flock is held on the host');
  const info = JSON.parse(await readFile(join(w.dirOf('node1'), 'lock.json'), 'utf8'));
  assert.equal(info.runId, 'run-a');
  assert.equal(info.stateDir, join(w.base, 'state-run-a'));
  assert.ok(Number.isInteger(info.holderPid) && info.holderPid > 0);
  await assert.rejects(acquireHostLocks(w.request('run-b')), (error: Error & { kind?: string; hint?: string }) => {
    assert.equal(error.kind, 'locked');
    assert.match(error.message, /host node1 is locked by run run-a \(run of runbook test-book, pid \d+ on this machine, state dir .*state-run-a, since /);
    assert.match(error.hint ?? '', new RegExp(`stop the holder process ${info.holderPid}`));
    return true;
  });
  await first.release();
  assert.equal(await isFree(join(w.dirOf('node1'), 'lock')), true);
  assert.equal(existsSync(w.dirOf('node1')), false, 'a clean release leaves nothing: the folder drbook made goes with the lock');
  const second = await acquireHostLocks(w.request('run-b'));
  await second.release();
});

test('a folder the operator made stays, emptied; a folder with markers stays with them', async (t) => {
  const w = await world(t);
  await mkdir(w.dirOf('node1'), { recursive: true });
  await writeFile(join(w.dirOf('node1'), 'README'), 'made by the operator\n');
  await (await acquireHostLocks(w.request('run-a'))).release();
  assert.deepEqual(await readdir(w.dirOf('node1')), ['README']);
  const x = await world(t);
  const locks = await acquireHostLocks(x.request('run-a'));
  await locks.markChanged('node1');
  await locks.release();
  assert.deepEqual((await readdir(x.dirOf('node1'))).sort(), ['.drbook-made', 'runs']);
  assert.deepEqual((await readdir(join(x.dirOf('node1'), 'runs'))).sort(), ['run-a.json']);
});

test('all or none: when the second host is locked by another run, the first is let go', async (t) => {
  const w = await world(t, ['node1', 'node2']);
  const other = await acquireHostLocks({ ...w.request('run-x'), hosts: [w.hosts[1]!] });
  t.after(() => other.release());
  await assert.rejects(acquireHostLocks(w.request('run-y')), /host node2 is locked by run run-x/);
  assert.equal(await isFree(join(w.dirOf('node1'), 'lock')), true, 'node1 was released');
});

test('stopping the holder process alone frees the lock at once; the run takes it again before its next change', async (t) => {
  const w = await world(t);
  const locks = await acquireHostLocks(w.request('run-a'));
  t.after(() => locks.release());
  const { holderPid } = JSON.parse(await readFile(join(w.dirOf('node1'), 'lock.json'), 'utf8'));
  process.kill(holderPid, 'SIGKILL');
  for (let i = 0; i < 50 && !w.notices.some((n) => /the lock of node1 ended/.test(n.message)); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await isFree(join(w.dirOf('node1'), 'lock')), true, 'the kernel released the flock');
  assert.ok(
    w.notices.some((n) => n.level === 'warn' && /the lock of node1 ended/.test(n.message)),
    JSON.stringify(w.notices),
  );
  await locks.markChanged('node1');
  assert.equal(await isFree(join(w.dirOf('node1'), 'lock')), false, 'held again');
  assert.ok(w.notices.some((n) => /took the lock of node1 again/.test(n.message)));
});

test('the lock lost and taken meanwhile by another run: the next change is refused', async (t) => {
  const w = await world(t);
  const locks = await acquireHostLocks(w.request('run-a'));
  t.after(() => locks.release());
  const { holderPid } = JSON.parse(await readFile(join(w.dirOf('node1'), 'lock.json'), 'utf8'));
  process.kill(holderPid, 'SIGKILL');
  // Before drbook has even heard that its holder ended, no command of the run runs there.
  const early = await new LocalTransport('node1').exec({ command: locks.guard('node1', sh`touch ${join(w.base, 'early')}`) });
  assert.equal(early.exitCode, 125);
  assert.match(early.stderr, new RegExp(`the lock of run run-a on this host ended \\(its holder ${holderPid} is gone\\)`));
  assert.equal(existsSync(join(w.base, 'early')), false);
  for (let i = 0; i < 50 && !w.notices.some((n) => /the lock of node1 ended/.test(n.message)); i++) await new Promise((r) => setTimeout(r, 20));
  let other;
  // Polling: refused until the other lock has ended; the assertion below says whether it ever was taken.
  for (let i = 0; i < 50 && !other; i++) other = await acquireHostLocks(w.request('run-b')).catch(() => undefined);
  assert.ok(other, 'another run could take the free lock');
  t.after(() => other!.release());
  await assert.rejects(locks.markChanged('node1'), /the lock of host node1 was lost .* and cannot be taken again: host node1 is locked by run run-b/);
  // An undo goes on with the rollback's other undos, but its commands do not run on the host.
  await locks.markChanged('node1', 'undo');
  assert.ok(w.notices.some((n) => /the undos on node1 are not carried out/.test(n.message)));
  const refused = await new LocalTransport('node1').exec({ command: locks.guard('node1', sh`touch ${join(w.base, 'undone')}`) });
  assert.equal(refused.exitCode, 125);
  assert.match(refused.stderr, /not run: run run-a does not hold the lock of node1 \(the lock of host node1 was lost/);
  assert.equal(existsSync(join(w.base, 'undone')), false);
  // A probe of the rollback is not run either: it could only read what run-b is doing.
  assert.match((await locks.holds('node1')) ?? '', /run run-a does not hold the lock of node1: the lock of host node1 was lost .* locked by run run-b/);
  await other!.release();
  assert.equal(await locks.holds('node1'), undefined, 'free again (and no one acted meanwhile): taken again, the probe may run');
});

test('the marker goes on the host before the first change, stays when the run ends unclean, and refuses the next run; the run itself takes it back', async (t) => {
  const w = await world(t);
  const locks = await acquireHostLocks(w.request('run-a'));
  await locks.markChanged('node1');
  await locks.markChanged('node1'); // once per process
  const marker = JSON.parse(await readFile(join(w.dirOf('node1'), 'runs/run-a.json'), 'utf8'));
  assert.deepEqual([marker.runId, marker.runbook, marker.stateDir, marker.hosts], ['run-a', 'test-book', join(w.base, 'state-run-a'), ['node1']]);
  await locks.finish(false);
  await locks.release();
  assert.ok(existsSync(join(w.dirOf('node1'), 'runs/run-a.json')), 'unclean: the marker stays');
  await assert.rejects(acquireHostLocks(w.request('run-b')), (error: Error) => {
    assert.match(error.message, /host node1: run run-a changed it and did not finish \(runbook test-book, started 2026-12-01T10:00:00Z by \S+ on \S+, pid \d+, state dir .*state-run-a\)/);
    assert.match(error.message, /--ignore-run run-a/);
    return true;
  });
  assert.equal(await isFree(join(w.dirOf('node1'), 'lock')), true, 'a refusal releases the lock');
  const resumed = await acquireHostLocks({ ...w.request('run-a'), purpose: 'resume' });
  await resumed.finish(true);
  await resumed.release();
  assert.equal(existsSync(w.dirOf('node1')), false, 'clean: marker, in-flight file and folder are gone');
  await (await acquireHostLocks(w.request('run-b'))).release();
});

test('--ignore-run goes ahead, and marks the overridden run at the first change: its own resume must then name the run that went ahead', async (t) => {
  const w = await world(t);
  const a = await acquireHostLocks(w.request('run-a'));
  await a.markChanged('node1');
  await a.release();
  const b = await acquireHostLocks(w.request('run-b', { ignoreRuns: ['run-a'] }));
  assert.deepEqual(b.journalEntry().overridden, [{ host: 'node1', runId: 'run-a' }]);
  await b.markChanged('node1');
  await b.finish(true);
  await b.release();
  const tombstone = JSON.parse(await readFile(join(w.dirOf('node1'), 'runs/run-a.json'), 'utf8'));
  assert.equal(tombstone.overriddenBy.runId, 'run-b');
  await (await acquireHostLocks(w.request('run-c'))).release(); // nothing refuses a new run now
  await assert.rejects(acquireHostLocks({ ...w.request('run-a'), purpose: 'rollback' }), /run run-b .* went ahead over this run's leftovers/);
  const forced = await acquireHostLocks({ ...w.request('run-a', { ignoreRuns: ['run-b'] }), purpose: 'rollback' });
  await forced.release();
});

test('a marker its journal shows harmless is removed with a notice and journaled', async (t) => {
  const w = await world(t);
  await mkdir(join(w.dirOf('node1'), 'runs'), { recursive: true });
  await writeFile(
    join(w.dirOf('node1'), 'runs/early.json'),
    JSON.stringify({ runId: 'early', runbook: 'b', machine: 'm', user: 'u', pid: 1, stateDir: '/s', startedAt: 't', at: 't', hosts: ['node1'] }),
  );
  const lookupRun = async () => ({
    readable: true as const,
    stateDir: '/s',
    changedHosts: [],
    summary: { runId: 'early', hosts: ['node1'], state: 'crashed' as const, dryRun: false, canResume: true, canRollback: false },
  });
  const locks = await acquireHostLocks(w.request('run-b', { lookupRun }));
  await locks.release();
  assert.equal(existsSync(join(w.dirOf('node1'), 'runs/early.json')), false);
  assert.deepEqual(locks.journalEntry().cleared, [{ host: 'node1', runId: 'early', why: 'its journal (crashed) shows no change begun on node1' }]);
  assert.ok(w.notices.some((n) => /removed the marker of run early on node1/.test(n.message)));
});

test('a command of a killed run still in flight is waited for, then the run goes on; past the bound it refuses', async (t) => {
  const w = await world(t);
  await mkdir(join(w.dirOf('node1'), 'runs'), { recursive: true });
  const orphan = (seconds: number) => {
    const child = spawn('flock', ['-s', join(w.dirOf('node1'), 'runs/gone.inflight'), 'sleep', String(seconds)], { stdio: 'ignore' });
    t.after(() => void child.kill('SIGKILL'));
    return child;
  };
  orphan(1.2);
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  const locks = await acquireHostLocks(w.request('run-b'));
  await locks.release();
  assert.ok(Date.now() - started >= 800, `waited ${Date.now() - started}ms`);
  assert.ok(w.notices.some((n) => /waiting for a command of run gone still running on node1/.test(n.message)));
  assert.equal(locks.journalEntry().waited[0]?.runIds[0], 'gone');
  orphan(30);
  await new Promise((r) => setTimeout(r, 200));
  await assert.rejects(acquireHostLocks(w.request('run-c', { inflightWaitMs: 1000 })), /a command of run gone is still running after 1s/);
  assert.equal(await isFree(join(w.dirOf('node1'), 'lock')), true);
});

test('a host without flock, or whose state folder cannot be made, is refused with what to do', async (t) => {
  class NoFlock extends LocalTransport {
    override exec(request: ExecRequest) {
      return super.exec({ ...request, env: { ...request.env, PATH: '/nonexistent' } });
    }
  }
  const w = await world(t, ['node1'], (n) => new NoFlock(n));
  await assert.rejects(acquireHostLocks(w.request('run-a')), (error: Error & { hint?: string }) => {
    assert.match(error.message, /host node1 has no `flock` command/);
    assert.match(error.hint ?? '', /util-linux/);
    return true;
  });
  const v = await world(t);
  await writeFile(join(v.base, 'file'), '');
  const blocked = { ...v.request('run-a'), hosts: [{ ...v.hosts[0]!, hostStateDir: join(v.base, 'file', 'sub') }] };
  await assert.rejects(acquireHostLocks(blocked), (error: Error & { hint?: string }) => {
    assert.match(error.message, /cannot lock host node1 in .*file\/sub: cannot create/);
    assert.match(error.hint ?? '', /set `hostStateDir` for node1/);
    return true;
  });
});

test('two inventory names for one place share its lock', async (t) => {
  const w = await world(t, ['a', 'b']);
  const same = w.hosts.map((h) => ({ ...h, hostStateDir: w.dirOf('a') }));
  const locks = await acquireHostLocks({ ...w.request('run-a'), hosts: same });
  assert.deepEqual(
    locks.journalEntry().hosts.map((h) => h.host),
    ['a', 'b'],
  );
  await locks.markChanged('b');
  await locks.release();
});

test('a host that cannot be reached at the start is not refused there: nothing runs on it until it is locked, which its first change does', async (t) => {
  const w = await world(t, ['node1', 'node2']);
  let down = true;
  const pool: TransportPool = { get: async (n) => (n === 'node2' && down ? Promise.reject(new Error('connect ECONNREFUSED')) : w.pool.get(n)), closeAll: async () => {} };
  const locks = await acquireHostLocks({ ...w.request('run-a'), pool });
  t.after(() => locks.release());
  assert.ok(w.notices.some((n) => /cannot lock node2 now \(connect ECONNREFUSED\): drbook changes nothing there before it has locked it/.test(n.message)));
  assert.equal(await isFree(join(w.dirOf('node1'), 'lock')), false, 'node1 is locked');
  const refused = await new LocalTransport('node2').exec({ command: locks.guard('node2', sh`touch ${join(w.base, 'x')}`) });
  assert.equal(refused.exitCode, 125, 'no command runs on a host this run has not locked');
  await assert.rejects(locks.markChanged('node2'), /ECONNREFUSED/);
  down = false;
  await locks.markChanged('node2');
  assert.equal(await isFree(join(w.dirOf('node2'), 'lock')), false, 'locked at its first change');
  assert.ok(existsSync(join(w.dirOf('node2'), 'runs/run-a.json')));
});

test("a host reached late is decided on as at the start: another run's marker there refuses the change", async (t) => {
  const w = await world(t, ['node1', 'node2']);
  const other = await acquireHostLocks({ ...w.request('run-x'), hosts: [w.hosts[1]!] });
  await other.markChanged('node2');
  await other.release();
  let down = true;
  const pool: TransportPool = { get: async (n) => (n === 'node2' && down ? Promise.reject(new Error('no route')) : w.pool.get(n)), closeAll: async () => {} };
  const locks = await acquireHostLocks({ ...w.request('run-a'), pool });
  t.after(() => locks.release());
  down = false;
  await assert.rejects(locks.markChanged('node2'), /refusing to change node2: host node2: run run-x changed it and did not finish/);
  assert.equal(await isFree(join(w.dirOf('node2'), 'lock')), true, 'let go again');
});
