// Drives actions the way the engine does, for tests of this folder: parse `with:`
// through the action's schema, plan, then apply each change in order (command through
// exec, non-zero fails; or apply()), and carry out undos (command, or action re-planned).

import type { ActionContext, ActionDefinition, ActionPlan, Undo } from '../../../src/core/action.js';
import { commandFailure } from '../../../src/core/action.js';
import { getAction } from '../../../src/actions/registry.js';
import { createActionContext, localHost } from '../../../src/engine/action-context.js';
import type { ShellCommand } from '../../../src/shell/command.js';
import type { ExecRequest, ExecResult, FileInfo, Transport } from '../../../src/core/transport.js';
import { LocalTransport } from '../../../src/transport/local.js';

export function makeContext(options: { transport?: Transport; dryRun?: boolean; runId?: string; logs?: string[] } = {}): ActionContext {
  return createActionContext({
    host: localHost(),
    transport: options.transport ?? new LocalTransport(),
    run: { id: options.runId ?? 'r-test', startedAt: new Date().toISOString(), dryRun: options.dryRun ?? false, stateDir: '/nonexistent' },
    stepId: 'test-step',
    onLog: (text) => options.logs?.push(text),
  });
}

export async function planAction(action: ActionDefinition, ctx: ActionContext, raw: Record<string, unknown>): Promise<ActionPlan> {
  return action.plan(ctx, action.schema.parse(raw));
}

export async function applyPlan(ctx: ActionContext, plan: ActionPlan): Promise<void> {
  for (const change of plan.changes) {
    if (change.apply) await change.apply(ctx);
    else if (change.command) {
      const result = await ctx.exec(change.command, { timeoutMs: change.timeoutMs });
      if (result.exitCode !== 0) throw commandFailure(change.description, result);
    }
  }
}

export async function runUndo(ctx: ActionContext, undo: Undo): Promise<void> {
  if ('command' in undo) {
    const result = await ctx.exec(undo.command);
    if (result.exitCode !== 0) throw commandFailure(undo.description, result);
    return;
  }
  const action = getAction(undo.action);
  if (!action) throw new Error(`unknown action ${undo.action}`);
  const plan = await planAction(action, ctx, undo.with);
  const errors = plan.findings.filter((f) => f.level === 'error');
  if (errors.length) throw new Error(errors.map((f) => f.message).join('; '));
  await applyPlan(ctx, plan);
}

export function errorsOf(plan: ActionPlan): string[] {
  return plan.findings.filter((f) => f.level === 'error').map((f) => f.message);
}

export function findingText(plan: ActionPlan): string {
  return plan.findings.map((f) => `${f.level}: ${f.message}`).join('\n');
}

/**
 * A host made of a map of files and a command handler: for plan logic that needs no
 * processes (parsing, idempotence). `kind` is 'ssh' so code takes its remote paths.
 */
export class FakeTransport implements Transport {
  readonly kind = 'ssh' as const;
  readonly hostName = 'fake';
  readonly commands: string[] = [];
  constructor(
    readonly files: Map<string, Buffer | 'dir'> = new Map(),
    private readonly handler: (shell: string) => Partial<ExecResult> = () => ({ exitCode: 127, stderr: 'not found' }),
  ) {}
  async exec(request: ExecRequest): Promise<ExecResult> {
    const shell = request.command.toShell();
    this.commands.push(shell);
    // The one file-reading command drbook's probes use (checkSnapshotFile's header read).
    const head = /^head -c (\d+) -- (\S+) \| od -An -v -tx1$/.exec(shell);
    const file = head && this.files.get(head[2]!);
    if (head && Buffer.isBuffer(file)) {
      return { exitCode: 0, stdout: file.subarray(0, Number(head[1])).toString('hex'), stderr: '', durationMs: 1, timedOut: false, cancelled: false };
    }
    return { exitCode: 0, stdout: '', stderr: '', durationMs: 1, timedOut: false, cancelled: false, ...this.handler(shell) };
  }
  async stat(path: string): Promise<FileInfo | null> {
    const entry = this.files.get(path);
    if (entry === undefined) return null;
    return { type: entry === 'dir' ? 'dir' : 'file', mode: 0o644, uid: 0, gid: 0, size: entry === 'dir' ? 4096 : entry.length };
  }
  async readFile(path: string): Promise<Buffer> {
    const entry = this.files.get(path);
    if (!Buffer.isBuffer(entry)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return entry;
  }
  async writeFile(): Promise<void> {
    throw new Error('read-only fake');
  }
  async readDir(path: string): Promise<string[]> {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    return [...this.files.keys()].filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length));
  }
  async putFile(): Promise<{ sha256: string }> {
    throw new Error('read-only fake');
  }
  async getFile(): Promise<{ sha256: string }> {
    throw new Error('read-only fake');
  }
  async close(): Promise<void> {}
}

/** The local machine seen as if it were remote: exercises the command-based code paths for real. */
export function remoteLooking(local = new LocalTransport('remote-looking')): Transport {
  return {
    kind: 'ssh',
    hostName: local.hostName,
    exec: (request) => local.exec(request),
    stat: (path) => local.stat(path),
    readFile: (path) => local.readFile(path),
    writeFile: (path, data, options) => local.writeFile(path, data, options),
    readDir: (path) => local.readDir(path),
    putFile: (from, to, options) => local.putFile(from, to, options),
    getFile: (from, to) => local.getFile(from, to),
    close: () => local.close(),
  };
}

export type { ShellCommand };
