// Which hosts a run (runbook `targets:`) and a step (`onHosts:`) act on.

import { InputError } from '../core/errors.js';
import { closestName } from '../input/suggest.js';
import type { Host, Inventory } from '../core/inventory.js';
import { ALL_GROUP } from './merge.js';

/** The hosts of a target: a group (in its listed order), a host, or `local`. */
export function resolveTargets(inventory: Inventory, target: string): Host[] {
  const group = Object.hasOwn(inventory.groups, target) ? inventory.groups[target] : undefined;
  if (group) return group.map((name) => inventory.hosts[name]!).filter(Boolean);
  const host = Object.hasOwn(inventory.hosts, target) ? inventory.hosts[target] : undefined;
  if (host) return [host];
  const groups = Object.keys(inventory.groups);
  const hosts = Object.keys(inventory.hosts);
  const close = closestName(target, [...groups, ...hosts]);
  const where = inventory.file ? `the inventory ${inventory.file}` : 'the built-in inventory (only `local`; pass -i INVENTORY for more)';
  throw new InputError(`unknown target \`${target}\`${close ? ` (did you mean \`${close}\`?)` : ''}: ${where} has groups: ${groups.join(', ') || 'none'}; hosts: ${hosts.join(', ')}`);
}

/**
 * A step's hosts: names or group names from `onHosts:`, kept in the run's order. Every
 * name must match one of the run's hosts (or a group one of them belongs to): a step
 * cannot reach beyond what the run was started against.
 */
export function selectHosts(hosts: readonly Host[], onHosts?: readonly string[]): Host[] {
  if (!onHosts) return [...hosts];
  const chosen = new Set<string>();
  const unknown: string[] = [];
  for (const name of onHosts) {
    const matched = hosts.filter((h) => h.name === name || h.groups.includes(name) || name === ALL_GROUP);
    if (matched.length === 0) unknown.push(name);
    for (const h of matched) chosen.add(h.name);
  }
  if (unknown.length > 0) {
    const groups = [...new Set(hosts.flatMap((h) => h.groups))];
    throw new InputError(
      unknown.map((name) => ({
        message: `onHosts: \`${name}\` is not one of the run's hosts (${hosts.map((h) => h.name).join(', ')}) nor a group of them (${groups.join(', ') || 'none'})`,
      })),
    );
  }
  return hosts.filter((h) => chosen.has(h.name));
}
