// file.copy-from-host: copy a file that one host of the step already has (e.g. the
// snapshot on one master) to the step's other hosts. Hosts do not reach each other
// (no keys between masters, maybe no route): the file goes through the operator's
// machine, fetched ONCE into the run's folder and shared by every destination, SHA-256
// checked at every hop (host → here, here → host, against the source's hash probed
// at plan time). Idempotent like file.upload: an identical file in place is left
// alone, a different one is refused unless `overwrite`; undo removes what it copied.
//
// The download is removed when the last destination that needs it is done. It stays
// (in the run's own folder, mode 0600) only when a destination never got to its apply
// (an interrupt, a step timeout) — a resume or retry then uses it again if intact.

import { mkdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fileModeField } from '../fields.js';
import { sh } from '../../shell/command.js';
import { sha256File } from '@drbook/system';
import { runDir } from '../../journal/state-dir.js';
import type { Transport } from '../../core/transport.js';
import type { ActionContext, ActionDefinition, Change, Finding, SharedPlan } from '../../core/action.js';
import { sha256OnHost } from '../sha256-on-host.js';
import { pathSubject, removeWrittenFile, writtenFileCheck } from '../checks.js';

const schema = z.strictObject({
  /** The host (of this step) that has the file. */
  fromHost: z.string().trim().min(1),
  /** The file's path on fromHost. */
  path: z.string().min(1),
  /** Where it goes on the other hosts (default: the same path). */
  destination: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v)),
  /** Mode of the copies (default: the source's). */
  mode: fileModeField(),
  overwrite: z.boolean().default(false),
});

type Args = z.infer<typeof schema>;

/** What every host's plan() shares: the source, probed once, and the one download. */
export interface CopySource {
  host: string;
  path: string;
  transport: Transport;
  size: number;
  mode: number;
  sha256: string;
  /** The download to the operator's machine, in flight or done (memoized: one for all destinations). */
  download?: Promise<string>;
  /** Destinations whose copy is planned and not finished: the download is removed when this drops to 0. */
  pending: number;
}

/** `size\nmode\nsha256  -`, or exit 3 (no such file) / 4 (not a regular file). */
const probeSource = (path: string) => sh`if [ ! -e ${path} ]; then exit 3; fi; if [ ! -f ${path} ]; then exit 4; fi; wc -c < ${path} && stat -L -c %a -- ${path} && sha256sum < ${path}`;

async function probeSourceFile(ctx: ActionContext, path: string): Promise<Omit<CopySource, 'transport' | 'pending'> | string> {
  const where = `${ctx.host.name}:${path}`;
  const result = await ctx.probe(probeSource(path), { timeoutMs: 30 * 60_000 });
  if (result.exitCode === 3) return `${where} does not exist: nothing to copy from ${ctx.host.name}`;
  if (result.exitCode === 4) return `${where} is not a regular file`;
  const [size, mode, hash] = result.stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '');
  if (result.exitCode !== 0 || !/^\d+$/.test(size ?? '') || !/^[0-7]{3,4}$/.test(mode ?? '') || !/^[0-9a-f]{64}$/.test(hash ?? '')) {
    return `${where} cannot be read (exit ${result.exitCode ?? result.signal}): ${result.stderr.trim() || result.stdout.trim() || 'no output'}`;
  }
  return { host: ctx.host.name, path, size: Number(size), mode: parseInt(mode!, 8), sha256: hash! };
}

/** The run's own folder for transfers (0700: a snapshot holds the cluster's secrets). */
function transfersDir(ctx: ActionContext): string {
  return join(runDir(ctx.run.stateDir, ctx.run.id), 'transfers');
}

/** The source file on this machine: downloaded once, whoever asks first; later callers share it. */
export function fetchOnce(source: CopySource, ctx: ActionContext): Promise<string> {
  source.download ??= (async () => {
    const dir = transfersDir(ctx);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const local = join(dir, source.sha256);
    // A download left by an interrupted attempt of this run is used again when intact.
    const kept = await sha256File(local).catch(() => undefined);
    if (kept === source.sha256) return local;
    ctx.log(`fetching ${source.host}:${source.path} (${source.size} bytes) to this machine`);
    const { sha256 } = await source.transport.getFile(source.path, local);
    if (sha256 !== source.sha256) {
      await rm(local, { force: true });
      throw new Error(`${source.host}:${source.path} changed since the plan: sha256 ${source.sha256} then, ${sha256} now; nothing was copied`);
    }
    return local;
  })().catch((error: unknown) => {
    source.download = undefined; // a retry downloads again
    throw error;
  });
  return source.download;
}

/** One destination is done with the download: the last one removes it. */
async function release(source: CopySource, ctx: ActionContext): Promise<void> {
  source.pending -= 1;
  if (source.pending > 0 || !source.download) return;
  // A failed download already failed the change that awaited it; here only its file, if one was written, is removed.
  const local = await source.download.catch(() => undefined);
  source.download = undefined;
  if (!local) return;
  await rm(local, { force: true });
  await rmdir(transfersDir(ctx)).catch(() => undefined); // only when empty
}

export const fileCopyFromHostAction: ActionDefinition<Args> = {
  name: 'file.copy-from-host',
  summary: "Copy a file from one host of the step to the others through the operator's machine (downloaded once), SHA-256 checked; undo removes it.",
  schema,
  canSimulate: true,
  async planAcrossHosts(hosts): Promise<SharedPlan> {
    const fromHost = hosts[0]!.args.fromHost;
    const names = hosts.map((h) => h.ctx.host.name);
    const everywhere = (message: string): SharedPlan => ({ findings: names.map((host) => ({ host, finding: { level: 'error', message } })) });
    const disagree = hosts.filter((h) => h.args.fromHost !== fromHost).map((h) => `${h.ctx.host.name}: ${h.args.fromHost}`);
    if (disagree.length) return everywhere(`fromHost differs between the hosts (${names[0]}: ${fromHost}; ${disagree.join('; ')}): one source for all`);
    const source = hosts.find((h) => h.ctx.host.name === fromHost);
    if (!source) return everywhere(`fromHost ${fromHost} is not one of this step's hosts (${names.join(', ')}): the file is copied from a host of the step`);
    const probed = await probeSourceFile(source.ctx, source.args.path);
    if (typeof probed === 'string') return { findings: [{ host: fromHost, finding: { level: 'error', message: probed } }] };
    const value: CopySource = { ...probed, transport: source.ctx.transport, pending: 0 };
    return { value, findings: [] };
  },
  async plan(ctx, { path, destination, mode, overwrite }, shared) {
    const source = shared as CopySource | undefined;
    const findings: Finding[] = [];
    const changes: Change[] = [];
    // Only in a dry-run whose cross-host phase failed (its error is reported there).
    if (!source) return { simulated: true, changes, findings: [{ level: 'info', message: 'not planned: the source file could not be probed' }] };
    const from = `${source.host}:${source.path} (${source.size} bytes, sha256 ${source.sha256})`;
    const target = destination ?? path;
    if (ctx.host.name === source.host) {
      findings.push({ level: 'ok', message: `source: ${from}` });
      if (target !== source.path) findings.push({ level: 'warn', message: `${source.host} keeps the file at ${source.path} only; destination ${target} is for the other hosts` });
      return { simulated: true, changes, findings };
    }
    const existing = await ctx.transport.stat(target);
    let there: string | undefined;
    if (existing && existing.type !== 'file') {
      return { simulated: true, changes, findings: [{ level: 'error', message: `${ctx.host.name}:${target} is a ${existing.type}, not a file: refusing to replace it` }] };
    }
    if (existing) {
      there = await sha256OnHost(ctx, target, 30 * 60_000);
      if (there === source.sha256) return { simulated: true, changes, findings: [{ level: 'ok', message: `${ctx.host.name}:${target} is already identical to ${from}` }] };
      if (!overwrite) {
        return {
          simulated: true,
          changes,
          findings: [{ level: 'error', message: `${ctx.host.name}:${target} exists with another content (sha256 ${there}, ${source.host}'s is ${source.sha256}); set overwrite: true to replace it` }],
        };
      }
    }
    source.pending += 1;
    changes.push({
      description: `copy ${from} to ${ctx.host.name}:${target} via this machine`,
      apply: async (c) => {
        try {
          const local = await fetchOnce(source, c);
          const { sha256 } = await c.transport.putFile(local, target, { mode: mode ?? source.mode });
          if (sha256 !== source.sha256) throw new Error(`the copy on ${c.host.name}:${target} has sha256 ${sha256}, ${source.host}'s file has ${source.sha256}`);
        } finally {
          await release(source, c);
        }
      },
      check: writtenFileCheck(target, source.sha256, there ? `sha256 ${there}` : 'absent'),
      subjects: [pathSubject(target)],
      // An existing file was overwritten: its old content is gone, so there is no undo to offer.
      undo: existing ? null : { description: `remove the copied ${target}`, command: removeWrittenFile(target, source.sha256) },
    });
    return { simulated: true, findings, changes };
  },
};
