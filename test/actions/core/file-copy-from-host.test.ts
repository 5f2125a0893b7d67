// file.copy-from-host across three fake hosts: each an in-memory file map answering the
// action's probes (the source probe, sha256sum); getFile/putFile move bytes between that
// map and this machine's disk for real, so the run folder, the one shared download and
// its removal are checked on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ActionPlan, SharedPlan } from '../../../src/core/action.js';
import { fileCopyFromHostAction as action } from '../../../src/actions/core/file-copy-from-host.js';
import { createActionContext } from '../../../src/engine/action-context.js';
import { applyChange } from '../../../src/engine/host-step.js';
import type { Host } from '../../../src/core/inventory.js';
import type { ExecRequest, ExecResult, FileInfo, Transport } from '../../../src/core/transport.js';

const SNAP = '/backup/snap.db';
const RUN_ID = '20261123T114500Z-abcd';
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

class MemoryHost implements Transport {
  readonly kind = 'ssh' as const;
  gets = 0;
  /** Test hooks: what the next download / upload really delivers. */
  corruptUpload = false;
  constructor(
    readonly hostName: string,
    readonly files = new Map<string, Buffer>(),
  ) {}
  async exec({ command }: ExecRequest): Promise<ExecResult> {
    const shell = command.toShell();
    const done = (exitCode: number, stdout = '', stderr = ''): ExecResult => ({ exitCode, stdout, stderr, durationMs: 1, timedOut: false, cancelled: false });
    const path = /-- (\S+)$/.exec(shell)?.[1] ?? /wc -c < (\S+)/.exec(shell)?.[1] ?? '';
    const data = this.files.get(path);
    if (shell.startsWith('if [ ! -e ')) {
      if (!data) return done(3);
      return done(0, `${data.length}\n600\n${sha(data)}  -\n`);
    }
    if (shell.startsWith('sha256sum -- ')) return data ? done(0, `${sha(data)}  ${path}\n`) : done(1, '', `sha256sum: ${path}: No such file or directory`);
    return done(127, '', `unexpected: ${shell}`);
  }
  async stat(path: string): Promise<FileInfo | null> {
    const data = this.files.get(path);
    return data ? { type: 'file', mode: 0o600, uid: 0, gid: 0, size: data.length } : null;
  }
  async readFile(path: string): Promise<Buffer> {
    return this.files.get(path)!;
  }
  async writeFile(): Promise<void> {}
  async readDir(): Promise<string[]> {
    return [];
  }
  async getFile(remotePath: string, localPath: string): Promise<{ sha256: string }> {
    this.gets += 1;
    await new Promise((resolve) => setTimeout(resolve, 20)); // in flight while the other destinations ask
    const data = this.files.get(remotePath)!;
    await mkdir(dirname(localPath), { recursive: true });
    await writeFile(localPath, data);
    return { sha256: sha(data) };
  }
  async putFile(localPath: string, remotePath: string): Promise<{ sha256: string }> {
    const data = await readFile(localPath);
    const landed = this.corruptUpload ? Buffer.concat([data, Buffer.from('!')]) : data;
    this.files.set(remotePath, landed);
    return { sha256: sha(landed) };
  }
  async close(): Promise<void> {}
}

async function setup(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, Record<string, string>> = { node1: { [SNAP]: 'snapshot bytes' } }) {
  const stateDir = await mkdtemp(join(tmpdir(), 'drbook-copy-'));
  t.after(() => rm(stateDir, { recursive: true, force: true }));
  const hosts = ['node1', 'node2', 'node3'].map((name) => new MemoryHost(name, new Map(Object.entries(files[name] ?? {}).map(([p, d]) => [p, Buffer.from(d)]))));
  const ctxOf = (transport: MemoryHost, dryRun = false) => {
    const host: Host = { name: transport.hostName, connection: 'ssh', ssh: {}, vars: {}, groups: [] };
    return createActionContext({ host, transport, run: { id: RUN_ID, startedAt: '', dryRun, stateDir }, stepId: 'copy-snapshot' });
  };
  const transfers = join(stateDir, 'runs', RUN_ID, 'transfers');
  return { stateDir, hosts, ctxOf, transfers };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** planAcrossHosts then every host's plan, as the engine does. */
async function planAll(s: Setup, raw: Record<string, unknown>, dryRun = false): Promise<{ across: SharedPlan; plans: Map<string, ActionPlan> }> {
  const entries = s.hosts.map((h) => ({ ctx: s.ctxOf(h, dryRun), args: action.schema.parse(raw) }));
  const across = await action.planAcrossHosts!(entries);
  const plans = new Map<string, ActionPlan>();
  for (const { ctx, args } of entries) plans.set(ctx.host.name, await action.plan(ctx, args, across.value));
  return { across, plans };
}

const errors = (across: SharedPlan) => across.findings.filter((f) => f.finding.level === 'error').map((f) => `${f.host}: ${f.finding.message}`);

test("a source that is not a host of the step is refused on every host, naming the step's hosts", async (t) => {
  const s = await setup(t);
  const { across } = await planAll(s, { fromHost: 'node9', path: SNAP });
  assert.equal(across.value, undefined);
  assert.deepEqual(
    errors(across),
    ['node1', 'node2', 'node3'].map((h) => `${h}: fromHost node9 is not one of this step's hosts (node1, node2, node3): the file is copied from a host of the step`),
  );
});

test('a source file that does not exist is an error on the source host', async (t) => {
  const s = await setup(t, {});
  const { across, plans } = await planAll(s, { fromHost: 'node1', path: SNAP }, true);
  assert.deepEqual(errors(across), [`node1: node1:${SNAP} does not exist: nothing to copy from node1`]);
  for (const plan of plans.values()) assert.equal(plan.changes.length, 0);
});

test('a dry-run plans one copy per other host via this machine; the source and an identical destination have nothing to do', async (t) => {
  const s = await setup(t, { node1: { [SNAP]: 'snapshot bytes' }, node3: { [SNAP]: 'snapshot bytes' } });
  const { across, plans } = await planAll(s, { fromHost: 'node1', path: SNAP }, true);
  assert.deepEqual(errors(across), []);
  const h = sha('snapshot bytes');
  assert.deepEqual(plans.get('node1')!.changes, []);
  assert.match(plans.get('node1')!.findings[0]!.message, /^source: node1:\/backup\/snap\.db \(14 bytes/);
  assert.deepEqual(
    plans.get('node2')!.changes.map((c) => c.description),
    [`copy node1:${SNAP} (14 bytes, sha256 ${h}) to node2:${SNAP} via this machine`],
  );
  assert.equal(plans.get('node2')!.changes[0]!.undo?.description, `remove the copied ${SNAP}`);
  assert.deepEqual(plans.get('node3')!.changes, []);
  assert.match(plans.get('node3')!.findings[0]!.message, /node3:\/backup\/snap\.db is already identical/);
  assert.equal(s.hosts[0]!.gets, 0, 'nothing downloaded in a plan');
});

test('a different file at the destination is refused unless overwrite (and then there is no undo)', async (t) => {
  const s = await setup(t, { node1: { [SNAP]: 'snapshot bytes' }, node2: { [SNAP]: 'another snapshot' } });
  const { plans } = await planAll(s, { fromHost: 'node1', path: SNAP });
  const refused = plans.get('node2')!;
  assert.equal(refused.changes.length, 0);
  assert.match(
    refused.findings[0]!.message,
    new RegExp(`^node2:/backup/snap\\.db exists with another content \\(sha256 ${sha('another snapshot')}, node1's is ${sha('snapshot bytes')}\\); set overwrite: true`),
  );
  const forced = (await planAll(s, { fromHost: 'node1', path: SNAP, overwrite: true })).plans.get('node2')!;
  assert.equal(forced.changes.length, 1);
  assert.equal(forced.changes[0]!.undo, null);
});

test("two destinations share ONE download into the run folder, get the source's bytes, and the download is removed after the last", async (t) => {
  const s = await setup(t);
  const { plans } = await planAll(s, { fromHost: 'node1', path: '/backup/snap.db', destination: '/var/tmp/restore.db' });
  await Promise.all(['node2', 'node3'].map((name, i) => applyChange(plans.get(name)!.changes[0]!, s.ctxOf(s.hosts[i + 1]!))));
  assert.equal(s.hosts[0]!.gets, 1, 'downloaded once');
  for (const host of s.hosts.slice(1)) assert.equal(host.files.get('/var/tmp/restore.db')?.toString(), 'snapshot bytes');
  assert.equal(existsSync(s.transfers), false, 'the download is gone once nobody needs it');
  // Re-planned afterwards: nothing left to do anywhere (idempotent).
  const again = await planAll(s, { fromHost: 'node1', path: '/backup/snap.db', destination: '/var/tmp/restore.db' });
  assert.deepEqual(
    [...again.plans.values()].map((p) => p.changes.length),
    [0, 0, 0],
  );
});

test('a source that changed since the plan is detected by its SHA-256 and nothing is copied; a corrupt upload is detected too', async (t) => {
  const s = await setup(t);
  const { plans } = await planAll(s, { fromHost: 'node1', path: SNAP });
  s.hosts[0]!.files.set(SNAP, Buffer.from('a newer snapshot'));
  await assert.rejects(
    applyChange(plans.get('node2')!.changes[0]!, s.ctxOf(s.hosts[1]!)),
    new RegExp(`node1:/backup/snap\\.db changed since the plan: sha256 ${sha('snapshot bytes')} then, ${sha('a newer snapshot')} now`),
  );
  assert.equal(s.hosts[1]!.files.has(SNAP), false, 'nothing put on node2');
  assert.equal(existsSync(join(s.transfers, sha('snapshot bytes'))), false, 'no bad download kept');

  const fresh = await planAll(s, { fromHost: 'node1', path: SNAP });
  s.hosts[2]!.corruptUpload = true;
  await assert.rejects(applyChange(fresh.plans.get('node3')!.changes[0]!, s.ctxOf(s.hosts[2]!)), /the copy on node3:\/backup\/snap\.db has sha256 [0-9a-f]{64}, node1's file has/);
});
