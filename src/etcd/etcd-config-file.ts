// etcd's YAML configuration file (--config-file, or ETCD_CONFIG_FILE). RKE2 runs etcd
// with nothing but `--config-file=/var/lib/rancher/rke2/server/db/etcd/config`, a file
// written by the k3s ETCDConfig type (pkg/daemons/executor): the flag names as keys,
// the TLS files nested under client-transport-security / peer-transport-security, and
// numbers and booleans as YAML scalars. When etcd is given a config file it ignores its
// other flags and environment, so these values are the ones that count.

import { LineCounter, parseDocument } from 'yaml';
import { DrbookError } from '../core/errors.js';
import { CONFIG_FILE_KEYS, type EtcdSettings, type SettingKey } from './etcd-settings.js';

export interface EtcdConfigFile {
  file: string;
  values: EtcdSettings;
  /** Every top-level key, for messages ("the file sets no name; it sets: data-dir, ..."). */
  keys: string[];
}

/** Parse the text of an etcd config file. `file` is only used in messages. */
export function parseEtcdConfigFile(text: string, file: string, host?: string): EtcdConfigFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw new DrbookError('step', `etcd config file ${file}:${line}:${col}: not valid YAML: ${error.message.split('\n')[0]}`, { host });
  }
  const root = doc.toJSON() as unknown;
  if (!root || typeof root !== 'object' || Array.isArray(root)) {
    throw new DrbookError(
      'step',
      `etcd config file ${file}: expected a YAML mapping of etcd settings (name, data-dir, ...), found ${root === null ? 'nothing' : Array.isArray(root) ? 'a list' : typeof root}`,
      { host },
    );
  }
  const values: EtcdSettings = {};
  for (const [key, path] of Object.entries(CONFIG_FILE_KEYS) as Array<[SettingKey, readonly string[]]>) {
    let value: unknown = root;
    for (const part of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    const text = scalarText(value);
    if (text !== undefined && text !== '') values[key] = text;
  }
  return { file, values, keys: Object.keys(root) };
}

/** YAML scalars as etcd would read them; lists (log-outputs) joined with commas. */
function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(',');
  return undefined;
}
