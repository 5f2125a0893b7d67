import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JournalEntry } from '../../src/core/journal-records.js';
import { formatDuration, fenced, cell } from '../../src/journal/markdown.js';
import { renderReport } from '../../src/journal/report.js';
import { fixtureEntries, header, type FixtureName } from './helpers.js';

const report = (name: FixtureName) => renderReport(fixtureEntries(name), { machine: 'ops-laptop', isAlive: () => false });

/** The text of one "## " section. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `no section "${title}" in:\n${markdown}`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** The bullet list of changes left, as "host step#index". */
function leftItems(markdown: string): string[] {
  const left = section(markdown, 'State left');
  const items: string[] = [];
  let host = '';
  for (const line of left.split('\n')) {
    const h = /^\*\*(.+)\*\*$/.exec(line);
    if (h) host = h[1]!;
    const item = /^- step `([^`]+)`, change #(\d+)/.exec(line);
    if (item) items.push(`${host} ${item[1]}#${item[2]}`);
  }
  return items;
}

test('clean run: title, summary table, one section per step, and a completed state', () => {
  const md = report('clean-run');
  assert.ok(md.startsWith('# drbook report: demo-restore — run 20261123T091530Z-3fa9\n'));
  const summary = section(md, 'Summary');
  assert.match(summary, /\| \*\*Started\*\* \| 2026-11-23 09:15:30 UTC \|/);
  assert.match(summary, /\| \*\*Ended\*\* \| 2026-11-23 09:15:31 UTC \|/);
  assert.match(summary, /\| \*\*Duration\*\* \| 1\.8 s \|/);
  assert.match(summary, /\| \*\*Outcome\*\* \| \*\*done\*\* \(exit code 0\) \|/);
  assert.match(summary, /\| \*\*Hosts\*\* \| local \|/);
  assert.match(summary, /\| \*\*Operator machine\*\* \| `ops-laptop` \(pid 41001\) \|/);
  const timeline = section(md, 'Timeline');
  assert.deepEqual(timeline.match(/^### .*$/gm), [
    '### 1. Prepare the new data directory (`prepare`) — done',
    '### 2. Swap the data directory (`swap`) — done',
    '### 3. Verify the data (`verify`) — done',
  ]);
  assert.match(timeline, /\| local \| done \| 09:15:30 \| 1\.5 s \| 1 ok \|/);
  assert.ok(!md.includes('## Rollback'));
  assert.match(section(md, 'State left'), /The run completed: all 2 change\(s\) it made are in place/);
});

test('crashed run: outcome crashed, the change in flight flagged, and what is left with both ways out', () => {
  const md = report('crashed-run');
  assert.match(md, /no end was recorded and its process \(pid 41002\) is gone/);
  assert.match(section(md, 'Summary'), /\*\*Outcome\*\* \| \*\*crashed\*\* \|/);
  assert.match(section(md, 'Summary'), /not recorded — the journal stops at 2026-11-23 10:00:10 UTC/);
  assert.match(section(md, 'Summary'), /`etcdPassword` \(secret, not journaled\)/);
  assert.match(section(md, 'Timeline'), /#### m1: in flight when the journal stopped[\s\S]*--password \*\*\*` — \*\*started at 10:00:10, no result recorded\*\*/);
  assert.deepEqual(leftItems(md), ['m1 stop-pods#0', 'm1 restore#0']);
  const left = section(md, 'State left');
  assert.match(left, /restore#?.*\*\*unknown\*\*: it was in flight/s);
  assert.match(left, /`drbook rollback 20261123T100000Z-7c01`/);
  assert.match(left, /`drbook resume 20261123T100000Z-7c01`/);
});

test('rolled-back run: the failure with its exit code and output tail, every undo, and nothing left', () => {
  const md = report('rolled-back');
  const timeline = section(md, 'Timeline');
  assert.match(timeline, /\| m2 \| failed \| 14:15:07 \| 1\.3 s \| 1 undone \|/);
  assert.match(timeline, /#### m2: failed\n\nError: command failed with exit code 1: etcdutl snapshot restore/);
  assert.match(timeline, /\*\*failed\*\* with exit code 1 after 1\.2 s\./);
  assert.match(timeline, /Last lines of output:\n\n```text\n.*restoring snapshot\nError: snapshot file integrity check failed\. 2 errors found\.\n\[check hash\] expected 4f0c1e9a, got 77b0c2d1\n```/);
  const rollback = section(md, 'Rollback');
  assert.match(rollback, /Reason: \[host m2, step restore\]/);
  assert.match(rollback, /\*\*ok\*\*/);
  assert.equal((rollback.match(/^\| \d+ \|.*\| ok \|/gm) ?? []).length, 4);
  assert.deepEqual(leftItems(md), []);
  assert.match(section(md, 'State left'), /every change it made was undone\. The hosts are as they were before the run\./);
});

test('rollback-failed run: the failed undo, and exactly the changes still applied on the host it broke', () => {
  const md = report('rollback-failed');
  assert.match(section(md, 'Summary'), /\*\*rollback-failed\*\* \(exit code 3\)/);
  assert.match(
    section(md, 'Rollback'),
    /\| 1 \| `swap` \| m2 \| put the old \/var\/lib\/etcd back \| \*\*failed\*\*: \/var\/lib\/etcd-old-20261125T030000Z-e9d1 does not exist: nothing to put back ⏎ hint: look for the old data dir by hand \| 50 ms \|/,
  );
  assert.match(section(md, 'Rollback'), /: \*\*failed\*\*\./);
  assert.deepEqual(leftItems(md), ['m2 stop-pods#0', 'm2 restore#0', 'm2 swap#0']);
  const left = section(md, 'State left');
  assert.match(left, /\*\*The rollback did not complete: a human must look\.\*\* 3 change\(s\)/);
  assert.match(left, /swap`, change #0.*\*\*maybe partly applied\*\*.*its undo \(put the old \/var\/lib\/etcd back\) \*\*failed\*\*/);
  assert.equal((left.match(/the rollback did not get to it/g) ?? []).length, 2);
  assert.match(left, /`drbook rollback 20261125T030000Z-e9d1` retries/);
  assert.ok(!left.includes('drbook resume'), 'a rolled-back run is not to be resumed');
});

test('output and errors cannot break the Markdown: fences and pipes are escaped', () => {
  const entries: JournalEntry[] = [
    header('20261201T000000Z-0001', ['m1']),
    { t: 'intent', at: '2026-12-01T00:00:01.000Z', stepId: 's', host: 'm1', index: 0, description: 'grep a|b', command: 'echo ```', undo: null, undoOnFailure: false, readOnly: false },
    { t: 'result', at: '2026-12-01T00:00:02.000Z', stepId: 's', host: 'm1', index: 0, ok: false, durationMs: 1000, exitCode: 2, outputTail: 'before\n```\n## not a heading\n````' },
    { t: 'end', at: '2026-12-01T00:00:03.000Z', state: 'failed', exitCode: 1, error: 'one | two\nthree' },
  ];
  const md = renderReport(entries, { machine: 'test-machine', isAlive: () => false });
  assert.match(md, /`````text\nbefore\n```\n## not a heading\n````\n`````/);
  assert.match(section(md, 'Summary'), /\| \*\*Error\*\* \| one \\\| two ⏎ three \|/);
  assert.match(md, /grep a\|b — ```` echo ``` ```` — \*\*failed\*\* with exit code 2/);
  assert.match(md, /#### m1: no end recorded/, 'the run ended: nothing was in flight');
  assert.deepEqual(leftItems(md), [], 'a failed change without undoOnFailure changed nothing');
  assert.match(section(md, 'State left'), /it made no change/);
});

test('a run still going says so instead of guessing its state', () => {
  const md = renderReport(fixtureEntries('crashed-run'), { machine: 'ops-laptop', isAlive: () => true });
  assert.match(md, /The run is still running \(pid 41002 on ops-laptop\)/);
  assert.match(section(md, 'State left'), /not final/);
});

test('durations read like a human wrote them', () => {
  assert.equal(formatDuration(420), '420 ms');
  assert.equal(formatDuration(1234), '1.2 s');
  assert.equal(formatDuration(42_400), '42 s');
  assert.equal(formatDuration(4 * 60_000 + 5_000), '4 min 05 s');
  assert.equal(formatDuration(62 * 60_000), '1 h 02 min');
  assert.equal(formatDuration(-1), '?');
  assert.equal(cell('a|b\nc'), 'a\\|b ⏎ c');
  assert.equal(fenced('x'), '```text\nx\n```');
});

test("the report says what the run met on its hosts' locks: runs it went ahead over, markers removed, commands waited for", () => {
  const entries: JournalEntry[] = [
    header('20261201T000000Z-7777', ['node1']),
    {
      t: 'hosts-locked',
      at: '2026-11-23T09:15:31.000Z',
      hosts: [{ host: 'node1', dir: '/var/lib/drbook' }],
      overridden: [{ host: 'node1', runId: '20261123T091530Z-3fa9' }],
      cleared: [{ host: 'node1', runId: 'early', why: 'its journal says done' }],
      waited: [{ host: 'node1', runIds: ['gone'], ms: 4200 }],
      staleLocalLocks: [],
    },
    { t: 'end', at: '2026-11-23T09:16:00.000Z', state: 'done', exitCode: 0 },
  ];
  const text = section(renderReport(entries, { machine: 'ops-laptop', isAlive: () => false }), 'Host locks');
  assert.match(text, /node1: went ahead over the unfinished changes of run `20261123T091530Z-3fa9` \(`--ignore-run`\)/);
  assert.match(text, /node1: removed the marker of run `early`: its journal says done/);
  assert.match(text, /node1: waited 4\.2 s for a command of run `gone` still running/);
  assert.doesNotMatch(
    renderReport(
      entries.filter((e) => e.t !== 'hosts-locked'),
      { machine: 'ops-laptop' },
    ),
    /## Host locks/,
  );
});
