// A resume or a later rollback acts where the run ran: the journal's host keys against
// what the inventory names now; journals from before host keys are read as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DrbookError } from '../../src/core/errors.js';
import { checkSameHosts, journaledHostsOf } from '../../src/hostlock/journaled-hosts.js';
import { placesOf } from '../../src/hostlock/places.js';
import type { Host } from '../../src/core/inventory.js';
import type { JournalEntry } from '../../src/core/journal-records.js';

const ssh = (name: string, address: string): Host => ({ name, connection: 'ssh', ssh: { address }, vars: {}, groups: [] });
const locked = (hosts: Array<{ host: string; dir: string; key?: string; where?: string }>): JournalEntry => ({
  t: 'hosts-locked',
  at: '2026-12-01T00:00:00Z',
  hosts,
  overridden: [],
  cleared: [],
  waited: [],
  staleLocalLocks: [],
});

test('the last hosts-locked entry of each name wins (a resume records them again)', () => {
  const byName = journaledHostsOf([locked([{ host: 'node1', dir: '/d', key: 'ssh-a-22' }]), locked([{ host: 'node1', dir: '/d', key: 'ssh-b-22' }])]);
  assert.equal(byName.get('node1')?.key, 'ssh-b-22');
});

test('a name that now points at another host is refused, saying both; the same host, or an old journal, goes', () => {
  const hosts = [ssh('node1', '127.0.231.11')];
  const places = placesOf(hosts, '/state');
  const journaled = journaledHostsOf([locked([{ host: 'node1', dir: '/var/lib/drbook', key: 'ssh-127.0.230.11-22', where: '127.0.230.11:22' }])]);
  assert.throws(
    () => checkSameHosts('run-x', places, journaled, hosts),
    (e: unknown) =>
      e instanceof DrbookError &&
      e.kind === 'locked' &&
      /node1 was 127\.0\.230\.11:22 when run run-x ran; the inventory now makes it node1 \(127\.0\.231\.11:22\)/.test(e.message) &&
      /nothing was changed/.test(e.hint ?? ''),
  );
  assert.doesNotThrow(() => checkSameHosts('run-x', placesOf([ssh('node1', '127.0.230.11')], '/state'), journaled, hosts));
  const old = journaledHostsOf([locked([{ host: 'node1', dir: '/var/lib/drbook' }])]);
  assert.doesNotThrow(() => checkSameHosts('run-x', places, old, hosts), 'no key journaled: not checked');
});
