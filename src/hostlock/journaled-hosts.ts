// What a run's journal says its hosts were: the `hosts-locked` entries record, for each
// inventory name, the host's identity key and address (journals from before host keys
// record the name and folder only). A resume or a later rollback acts on the hosts the
// inventory names now: when a name now points at another host (the inventory was
// rewritten, a sandbox came up again on other addresses), it must not act there.

import { DrbookError } from '../core/errors.js';
import type { Host } from '../core/inventory.js';
import type { JournalEntry } from '../core/journal-records.js';
import { describeHost } from './identity.js';
import type { Place } from './places.js';

export interface JournaledHost {
  host: string;
  dir: string;
  key?: string;
  where?: string;
}

/** By name, the last record of each host (a resume records them again). */
export function journaledHostsOf(entries: readonly JournalEntry[]): Map<string, JournaledHost> {
  const byName = new Map<string, JournaledHost>();
  for (const entry of entries) if (entry.t === 'hosts-locked') for (const h of entry.hosts ?? []) byName.set(h.host, h);
  return byName;
}

/**
 * Refuse (before any lock is taken on a host) to resume or roll back a run on a host that
 * is not the one it ran on. Names without a journaled key (older journals) are not checked.
 */
export function checkSameHosts(runId: string, places: Place[], journaled: Map<string, JournaledHost>, hosts: Host[]): void {
  const moved: string[] = [];
  for (const place of places) {
    for (const name of place.hosts) {
      const then = journaled.get(name);
      if (!then?.key || then.key === place.identity.key) continue;
      moved.push(`${name} was ${then.where ?? then.key} when run ${runId} ran; the inventory now makes it ${describeHost({ name, where: place.identity.where })}`);
    }
  }
  if (!moved.length) return;
  throw new DrbookError('locked', `refusing to act for run ${runId} on other hosts than its own:\n  ${moved.join('\n  ')}`, {
    host: hosts.length === 1 ? hosts[0]!.name : undefined,
    hint: 'nothing was changed; put the inventory back as it was for that run (its journal names the hosts), or finish the run where its hosts are',
  });
}
