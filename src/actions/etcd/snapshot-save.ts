// etcd.snapshot-save: stream a snapshot from a live member (Maintenance.Snapshot, the
// call etcdctl snapshot save makes) to FILE.part on the operator's machine, fsync,
// rename, then check the SHA-256 trailer etcd appends: a file that exists under its
// final name is complete and intact. The member's cert files are read from the host.

import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { ISnapshotResponse } from 'etcd3';
import type { ActionContext, ActionDefinition, Finding } from '../../core/action.js';
import { DrbookError } from '../../core/errors.js';
import { ShellCommand, sh } from '../../shell/command.js';
import { sha256File, syncPath } from '@drbook/system';
import { LocalTransport } from '../../transport/local.js';
import { explainEtcdError, loadEtcdCredentials, withEtcdClient, type EtcdCredentialPlan } from '../../etcd/client.js';
import { booleanField, listField } from '../fields.js';
import { checkSnapshotFile } from '../../etcd/snapshot-file.js';
import { planCredentials } from './credentials.js';

const schema = z.strictObject({
  /** Path on the operator's machine. */
  file: z.string().min(1),
  endpoints: listField().optional(),
  caFile: z.string().min(1).optional(),
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  /** The host's etcd manifest: its advertised client URL and pki folder are the defaults. */
  manifest: z.string().min(1).default('/etc/kubernetes/manifests/etcd.yaml'),
  overwrite: booleanField(false),
});

type Args = z.infer<typeof schema>;

/** Stream the snapshot of the first endpoint that answers into `file`; returns the revision it was taken at. */
export async function saveSnapshot(ctx: ActionContext, plan: EtcdCredentialPlan, file: string): Promise<{ revision: string; bytes: number; endpoint: string }> {
  const credentials = await loadEtcdCredentials(ctx.transport, plan);
  const errors: string[] = [];
  for (const endpoint of plan.endpoints) {
    const part = `${file}.part`;
    try {
      const saved = await withEtcdClient({ ...credentials, endpoints: [endpoint] }, async (client) => {
        // etcd 3.4 sends no header with the snapshot stream: the member's revision just
        // before the stream starts is a lower bound of the snapshot's.
        const before = await client.maintenance.status();
        const handle = await open(part, 'w', 0o600); // a snapshot holds every secret of the cluster
        try {
          const stream = await client.maintenance.snapshot();
          const onAbort = () => (stream as unknown as { cancel?: () => void }).cancel?.();
          ctx.signal.addEventListener('abort', onAbort, { once: true });
          let revision = '';
          let bytes = 0;
          try {
            for await (const message of stream as unknown as AsyncIterable<ISnapshotResponse>) {
              if (!revision && message.header?.revision) revision = String(message.header.revision);
              if (message.blob?.length) {
                await handle.write(message.blob);
                bytes += message.blob.length;
              }
            }
          } finally {
            ctx.signal.removeEventListener('abort', onAbort);
          }
          await handle.sync();
          return { revision: revision && revision !== '0' ? revision : `${before.header.revision} or later`, bytes };
        } finally {
          await handle.close();
        }
      });
      if (ctx.signal.aborted) throw new DrbookError('cancelled', 'snapshot save cancelled');
      await rename(part, file);
      await syncPath(dirname(file));
      return { ...saved, endpoint };
    } catch (error) {
      await rm(part, { force: true });
      if (error instanceof DrbookError && error.kind === 'cancelled') throw error;
      errors.push(`${endpoint}: ${explainEtcdError(error)}`);
    }
  }
  throw new DrbookError('step', `snapshot save failed on every endpoint: ${errors.join('; ')}`, { host: ctx.host.name });
}

/** Applied = `file` exists and is not what was there before (`before`: absent, or its sha256); reverted = as before. */
function savedFileCheck(file: string, before: string): ShellCommand {
  return ShellCommand.join(
    [
      sh`if [ ! -e ${file} ]; then d=absent; elif [ -f ${file} ]; then d="sha256 $(sha256sum < ${file} | cut -d ' ' -f 1)"; else d=present; fi; `,
      sh`if [ "$d" = ${before} ]; then echo "reverted: "${file}" is as before ($d)"; elif [ "$d" = absent ] || [ "$d" = present ]; then echo "cannot tell: "${file}" is $d"; else echo "applied: "${file}" is a new snapshot ($d)"; fi`,
    ],
    '',
  );
}

export const snapshotSaveAction: ActionDefinition<Args> = {
  name: 'etcd.snapshot-save',
  summary: 'Stream a snapshot from etcd (TLS, client cert) to FILE.part on this machine, fsync, rename, check its SHA-256 trailer.',
  schema,
  canSimulate: true,
  async plan(ctx, args) {
    const findings: Finding[] = [];
    const file = resolve(args.file);
    const plan = await planCredentials(ctx, args, findings);
    const folder = await stat(dirname(file)).catch(() => null);
    if (!folder?.isDirectory()) findings.push({ level: 'error', message: `folder ${dirname(file)} does not exist on this machine` });
    const existing = await stat(file).catch(() => null);
    // A file named with this run's id that is an intact snapshot was saved by this run
    // (a resume after the save completed but its result was lost): nothing to do.
    if (existing?.isFile() && file.includes(ctx.run.id) && (await checkSnapshotFile(new LocalTransport(), file)).status === 'ok') {
      return {
        findings: [...findings, { level: 'ok', message: `${file} is already saved by this run (its name carries the run id; an intact snapshot): nothing to do` }],
        changes: [],
        simulated: true,
      };
    }
    const before = existing?.isFile() ? `sha256 ${await sha256File(file)}` : existing ? 'present' : 'absent';
    if (existing && !args.overwrite) findings.push({ level: 'error', message: `${file} already exists: choose another name (e.g. with {{ run.startedAt }}) or set overwrite: true` });
    // The file is on the operator's machine: an undo command would run on the host.
    const undo = ctx.transport.kind === 'local' && !existing ? { description: `remove ${file}`, command: sh`rm -f -- ${file}` } : null;
    if (!undo) findings.push({ level: 'info', message: `no undo: the snapshot is a new file on this machine (remove ${file} by hand if unwanted); a failed save leaves nothing behind` });
    return {
      findings,
      simulated: true,
      changes: [
        {
          description: `save a snapshot of ${plan.endpoints.join(',')} to ${file} (through ${file}.part)`,
          undo,
          // The file is on this machine: checked here (a complete file appears under its name only when saved and verified).
          check: savedFileCheck(file, before),
          checkOn: 'operator',
          subjects: [`operator:${file}`],
          apply: async (applyCtx) => {
            const saved = await saveSnapshot(applyCtx, plan, file);
            const check = await checkSnapshotFile(new LocalTransport(), file);
            if (check.status !== 'ok') {
              await rm(file, { force: true });
              throw new DrbookError('step', `the snapshot saved from ${saved.endpoint} failed its check and was removed: ${check.message}`, { host: applyCtx.host.name });
            }
            applyCtx.log(`saved ${file} from ${saved.endpoint}: revision ${saved.revision}, ${saved.bytes} bytes, sha256 ${check.fileSha256}`);
          },
        },
      ],
    };
  },
};
