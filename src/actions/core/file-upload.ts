// file.upload: copy a file from the operator's machine to the host (e.g. a snapshot
// to every master). The transport streams it to `<destination>.part`, compares the
// SHA-256 computed on both ends and renames. Idempotent: an identical file already in
// place is left alone; a different one is refused unless `overwrite`.

import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { fileModeField } from '../fields.js';
import { sha256File } from '@drbook/system';
import type { ActionDefinition, Change, Finding } from '../../core/action.js';
import { sha256OnHost } from '../sha256-on-host.js';
import { pathSubject, removeWrittenFile, writtenFileCheck } from '../checks.js';

const schema = z.strictObject({
  /** Path on the operator's machine. */
  source: z.string().min(1),
  /** Path on the host. */
  destination: z.string().min(1),
  mode: fileModeField(),
  overwrite: z.boolean().default(false),
});

export const fileUploadAction: ActionDefinition<z.infer<typeof schema>> = {
  name: 'file.upload',
  summary: "Copy a file from the operator's machine to the host, SHA-256 checked on both ends; undo removes it.",
  schema,
  canSimulate: true,
  async plan(ctx, { source, destination, mode, overwrite }) {
    const findings: Finding[] = [];
    const changes: Change[] = [];
    let local: { size: number; sha256: string };
    try {
      local = { size: (await stat(source)).size, sha256: await sha256File(source) };
    } catch {
      return { simulated: true, changes, findings: [{ level: 'error', message: `${source} cannot be read on this machine` }] };
    }
    findings.push({ level: 'info', message: `${source}: ${local.size} bytes, sha256 ${local.sha256}` });
    const existing = await ctx.transport.stat(destination);
    let remote: string | undefined;
    if (existing) {
      remote = await sha256OnHost(ctx, destination, 10 * 60_000);
      if (remote === local.sha256) return { simulated: true, changes, findings: [...findings, { level: 'ok', message: `${destination} on ${ctx.host.name} is already identical` }] };
      if (!overwrite)
        return {
          simulated: true,
          changes,
          findings: [...findings, { level: 'error', message: `${destination} on ${ctx.host.name} exists with another content (sha256 ${remote}); set overwrite: true to replace it` }],
        };
    }
    changes.push({
      description: `upload ${source} to ${ctx.host.name}:${destination} (${local.size} bytes)`,
      apply: async (c) => {
        const { sha256 } = await c.transport.putFile(source, destination, { mode });
        if (sha256 !== local.sha256) throw new Error(`${source} changed while it was uploaded (sha256 ${local.sha256} before, ${sha256} sent)`);
      },
      check: writtenFileCheck(destination, local.sha256, remote ? `sha256 ${remote}` : 'absent'),
      subjects: [pathSubject(destination)],
      // An existing file was overwritten: its old content is gone, so there is no undo to offer.
      undo: existing ? null : { description: `remove the uploaded ${destination}`, command: removeWrittenFile(destination, local.sha256) },
    });
    return { simulated: true, findings, changes };
  },
};
