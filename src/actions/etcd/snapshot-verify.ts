// etcd.snapshot-verify: everything that can be known about a snapshot before anything
// changes, as findings shown in the plan. drbook checks the SHA-256 trailer itself
// (a flipped byte or a cut-off copy is refused here, before any manifest moves), then
// asks the host's own etcd tool for revision, key count and size (it opens the bbolt
// file read-only and walks it). Read-only: no changes.

import { z } from 'zod';
import type { ActionContext, ActionDefinition, Finding } from '../../core/action.js';
import { booleanField, optionalBooleanField } from '../fields.js';
import { checkSnapshotFile } from '../../etcd/snapshot-file.js';
import { countRegistryKeys, formatCounts } from '../../etcd/registry-counts.js';
import { readSnapshotKeys } from '../../etcd/snapshot-keys.js';
import { describeTool, snapshotStatus } from '../../etcd/tool.js';
import { etcdToolFact } from './facts.js';

/** Reading a snapshot to count its keys loads it into memory: above this, skip. */
const COUNT_KEYS_MAX_BYTES = 512 * 1024 * 1024;

const schema = z.strictObject({
  snapshot: z.string().min(1),
  skipHashCheck: booleanField(false),
  /** Path of etcdctl / etcdutl on the host, when not in PATH. */
  etcdctl: z.string().min(1).optional(),
  etcdutl: z.string().min(1).optional(),
  /** The SHA-256 of the whole file the snapshot must have (e.g. the same file on every master). */
  expectedSha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits')
    .transform((v) => v.toLowerCase())
    .optional(),
  /** Count keys per /registry resource (reads the file; default: only when the host is this machine). */
  countKeys: optionalBooleanField(),
});

type Args = z.infer<typeof schema>;

export async function verifySnapshot(ctx: ActionContext, args: Args): Promise<Finding[]> {
  const findings: Finding[] = [];
  const check = await checkSnapshotFile(ctx.transport, args.snapshot);
  switch (check.status) {
    case 'ok':
      findings.push({ level: 'ok', message: check.message });
      break;
    case 'raw':
      findings.push(
        args.skipHashCheck ? { level: 'warn', message: `${check.message}: hash check skipped as asked (skipHashCheck); its integrity cannot be proven` } : { level: 'error', message: check.message },
      );
      break;
    case 'hash-mismatch':
      // etcd's own --skip-hash-check drops the trailer unchecked: honour the author's choice, loudly.
      findings.push({ level: args.skipHashCheck ? 'warn' : 'error', message: check.message + (args.skipHashCheck ? ' (skipHashCheck is set: restoring it anyway)' : '') });
      break;
    default:
      findings.push({ level: 'error', message: check.message });
  }
  if (!['ok', 'raw', 'hash-mismatch'].includes(check.status)) return findings;
  if (args.expectedSha256 && check.fileSha256 !== args.expectedSha256) {
    findings.push({ level: 'error', message: `snapshot ${args.snapshot} on ${ctx.host.name} is not the expected file: its sha256 is ${check.fileSha256}, ${args.expectedSha256} expected` });
  }

  const detection = await ctx.facts.get(etcdToolFact, { etcdctl: args.etcdctl, etcdutl: args.etcdutl });
  if (!detection.tool) {
    findings.push({ level: 'error', message: `cannot read the snapshot's status on ${ctx.host.name}: ${detection.problem}` });
  } else {
    try {
      const status = await snapshotStatus(ctx, detection.tool, args.snapshot);
      findings.push({
        level: 'ok',
        message: `snapshot ${args.snapshot}: revision ${status.revision}, ${status.totalKey} keys (all buckets), ${status.totalSize} bytes of db, hash ${status.hash.toString(16).padStart(8, '0')} (${describeTool(detection.tool)})`,
      });
    } catch (error) {
      findings.push({ level: 'error', message: `snapshot ${args.snapshot} is not a readable etcd database: ${(error as Error).message}` });
      return findings;
    }
  }

  const countKeys = args.countKeys ?? ctx.transport.kind === 'local';
  if (countKeys) {
    if (check.size > COUNT_KEYS_MAX_BYTES) {
      findings.push({ level: 'info', message: `keys per resource not counted: the snapshot is larger than ${COUNT_KEYS_MAX_BYTES >> 20} MiB` });
    } else {
      try {
        const { keys, revision } = readSnapshotKeys(await ctx.transport.readFile(args.snapshot));
        const counts = countRegistryKeys(keys);
        findings.push({ level: 'info', message: `snapshot keys at revision ${revision}: ${keys.size} (${counts.total} under /registry: ${formatCounts(counts)})` });
      } catch (error) {
        findings.push({ level: 'error', message: `snapshot ${args.snapshot}: ${(error as Error).message}` });
      }
    }
  }
  return findings;
}

export const snapshotVerifyAction: ActionDefinition<Args> = {
  name: 'etcd.snapshot-verify',
  summary: "Check a snapshot before anything changes: present, SHA-256 trailer matching, readable by the host's etcd tool (revision, keys, size).",
  schema,
  canSimulate: true,
  async plan(ctx, args) {
    return { findings: await verifySnapshot(ctx, args), changes: [], simulated: true };
  },
};
