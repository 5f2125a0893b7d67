import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileUploadAction } from '../../../src/actions/core/file-upload.js';
import { createActionContext, localHost } from '../../../src/engine/action-context.js';
import { applyChange } from '../../../src/engine/host-step.js';
import { LocalTransport } from '../../../src/transport/local.js';

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'drbook-upload-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'snap.db'), 'snapshot bytes');
  const ctx = createActionContext({ host: localHost(), transport: new LocalTransport(), run: { id: 'r1', startedAt: '', dryRun: false, stateDir: dir }, stepId: 'up' });
  return { dir, ctx };
}

test('uploads with a verified copy; undo removes it; a second plan has nothing to do', async (t) => {
  const { dir, ctx } = await setup(t);
  const args = fileUploadAction.schema.parse({ source: join(dir, 'snap.db'), destination: join(dir, 'remote/snap.db') });
  const plan = await fileUploadAction.plan(ctx, args);
  assert.equal(plan.changes.length, 1);
  await applyChange(plan.changes[0]!, ctx);
  assert.equal(await readFile(join(dir, 'remote/snap.db'), 'utf8'), 'snapshot bytes');
  const again = await fileUploadAction.plan(ctx, args);
  assert.equal(again.changes.length, 0);
  assert.match(again.findings.at(-1)!.message, /already identical/);
  const undo = plan.changes[0]!.undo!;
  assert.ok('command' in undo);
  await ctx.exec(undo.command);
  assert.equal(existsSync(join(dir, 'remote/snap.db')), false);
});

test('a different file in place is refused unless overwrite, and then has no undo', async (t) => {
  const { dir, ctx } = await setup(t);
  await writeFile(join(dir, 'other.db'), 'other bytes');
  const refused = await fileUploadAction.plan(ctx, fileUploadAction.schema.parse({ source: join(dir, 'snap.db'), destination: join(dir, 'other.db') }));
  assert.equal(refused.changes.length, 0);
  assert.match(refused.findings.at(-1)!.message, /exists with another content/);
  const overwrite = await fileUploadAction.plan(ctx, fileUploadAction.schema.parse({ source: join(dir, 'snap.db'), destination: join(dir, 'other.db'), overwrite: true }));
  assert.equal(overwrite.changes[0]!.undo, null);
});
