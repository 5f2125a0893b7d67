// The inventory format, v1, as strict zod schemas. Connection settings can be written
// at three levels — `defaults.ssh`, `groups.NAME.ssh`, and flat on each host — and are
// merged in that order (see merge.ts). Durations read like the runbook's ("10s").

import { z } from 'zod';
import { durationSchema } from '../input/duration.js';

export const HOST_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const nameError = 'a name is letters, digits, ".", "-" and "_", starting with a letter or digit';

const sshFields = {
  address: z.string().min(1).optional().describe('Host name or IP to connect to (default: the host name, or its ~/.ssh/config alias).'),
  port: z.int({ error: 'expected a port number (1-65535)' }).min(1, { error: 'expected a port number (1-65535)' }).max(65535, { error: 'expected a port number (1-65535)' }).optional(),
  user: z.string().min(1).optional(),
  identityFile: z.string().min(1).optional(),
  passphraseEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected the name of an environment variable' })
    .optional(),
  proxyJump: z.string().min(1).optional(),
  knownHostsFile: z.string().min(1).optional(),
  hostKeyChecking: z.enum(['strict', 'accept-new', 'off'], { error: 'expected strict, accept-new or off' }).optional(),
  connectTimeout: durationSchema.optional(),
  keepaliveInterval: durationSchema.optional(),
  maxChannels: z.int({ error: 'expected a whole number ≥ 1' }).min(1, { error: 'expected a whole number ≥ 1' }).optional(),
  become: z.boolean().optional().describe('Run commands through non-interactive sudo.'),
};

export const sshSettingsSchema = z.strictObject(sshFields);
// Where drbook keeps its own state on the host: the host lock and the markers of unfinished runs.
const hostStateDirSchema = z
  .string()
  .regex(/^\//, { error: 'expected an absolute path (the folder on the host where drbook keeps its lock and run markers)' })
  .optional()
  .describe("Folder on the host for drbook's host lock and run markers (default /var/lib/drbook).");
const varsSchema = z.record(z.string(), z.unknown(), { error: 'expected a mapping of variables' });

export const hostSchema = z.strictObject({
  ...sshFields,
  connection: z.enum(['ssh', 'local'], { error: 'expected ssh or local' }).optional(),
  hostStateDir: hostStateDirSchema,
  vars: varsSchema.optional(),
});

export const groupSchema = z.strictObject({
  hosts: z.array(z.string(), { error: 'expected a list of host names' }).optional(),
  hostStateDir: hostStateDirSchema,
  vars: varsSchema.optional(),
  ssh: sshSettingsSchema.optional(),
});

export const inventorySchema = z.strictObject({
  apiVersion: z.literal('drbook/v1', { error: 'expected "drbook/v1"' }),
  kind: z.literal('Inventory', { error: 'expected "Inventory"' }),
  defaults: z
    .strictObject({
      ssh: sshSettingsSchema.optional(),
      hostStateDir: hostStateDirSchema,
      vars: varsSchema.optional(),
    })
    .optional(),
  groups: z.record(z.string().regex(HOST_NAME_PATTERN, { error: nameError }), z.union([groupSchema, z.null()])).optional(),
  hosts: z.record(z.string().regex(HOST_NAME_PATTERN, { error: nameError }), z.union([hostSchema, z.null()])),
});

export type InventoryDocument = z.infer<typeof inventorySchema>;
export type HostDocument = z.infer<typeof hostSchema>;
export type SshDocument = z.infer<typeof sshSettingsSchema>;
