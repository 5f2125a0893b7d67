// A lost connection is "unreachable", not "failed": the engine reconnects, re-probes
// (re-plans) and applies what is still to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileMoveAction } from '../../src/actions/core/file-move.js';
import { DrbookError } from '../../src/core/errors.js';
import { EventBus, type TimedEvent } from '../../src/core/events.js';
import type { CompiledStep } from '../../src/engine/compile.js';
import { RunRecorder } from '../../src/engine/recorder.js';
import { runStep } from '../../src/engine/step-runner.js';
import type { Host } from '../../src/core/inventory.js';
import { Masker } from '../../src/shell/masker.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { ExecRequest, TransportPool } from '../../src/core/transport.js';

/** A local transport whose connection "drops" after running the first `mv`: the move happened, its result was lost. */
class DroppingTransport extends LocalTransport {
  private dropped = false;
  /** staysDown: after the drop, the host cannot be reached again at all. */
  constructor(private readonly staysDown: boolean) {
    super('flaky');
  }
  private lost(what: string): never {
    throw new DrbookError('unreachable', `lost the SSH connection (test) during: ${what}; its outcome is unknown`, { host: 'flaky' });
  }
  override async exec(request: ExecRequest) {
    if (this.dropped && this.staysDown) this.lost('exec');
    const result = await super.exec(request);
    if (request.command.toDisplay().startsWith('mv ') && !this.dropped) {
      this.dropped = true;
      this.lost('mv');
    }
    return result;
  }
  override async stat(path: string) {
    if (this.dropped && this.staysDown) this.lost('stat');
    return super.stat(path);
  }
}

async function runMove(t: { after: (fn: () => Promise<void>) => void }, staysDown: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-unreachable-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'a'), 'data');
  const transport = new DroppingTransport(staysDown);
  const pool: TransportPool = { get: async () => transport, closeAll: async () => {} };
  const host: Host = { name: 'flaky', connection: 'ssh', ssh: {}, vars: {}, groups: [] };
  const step = { id: 'move', name: 'Move', uses: 'file.move', with: {}, retries: 0, retryDelayMs: 0 };
  const compiled: CompiledStep = { step, hosts: [{ step, host, action: fileMoveAction, args: fileMoveAction.schema.parse({ from: join(dir, 'a'), to: join(dir, 'b') }), enabled: true }] };
  const bus = new EventBus();
  const events: TimedEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const env = {
    run: { id: 'r', startedAt: '', dryRun: false, stateDir: dir },
    pool,
    recorder: new RunRecorder(undefined, bus, new Masker()),
    signal: new AbortController().signal,
    confirm: async () => true,
    nextIndex: new Map(),
  };
  const outcome = await runStep(compiled, env, () => false);
  return { outcome, events, dir };
}

test('after a dropped connection the host is re-probed and the step completes without redoing the move', async (t) => {
  const { outcome, events, dir } = await runMove(t, false);
  assert.equal(outcome.state, 'done');
  assert.ok(existsSync(join(dir, 'b')));
  assert.equal(events.filter((e) => e.type === 'host.planned').length, 2, 'planned at the barrier, then re-probed');
  const replanned = events.filter((e) => e.type === 'host.planned').at(-1) as { changes: unknown[] };
  assert.equal(replanned.changes.length, 0, 'the re-probe sees the move done');
  assert.ok(events.some((e) => e.type === 'output' && /reconnecting and re-probing/.test(e.text)));
});

test('a host that cannot be reached again ends the step as unreachable, not failed', async (t) => {
  const { outcome, events } = await runMove(t, true);
  assert.equal(outcome.state, 'unreachable');
  assert.equal(outcome.hosts[0]!.error?.kind, 'unreachable');
  assert.equal(events.filter((e) => e.type === 'output' && /reconnecting and re-probing/.test(e.text)).length, 2);
});
