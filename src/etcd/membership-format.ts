// The membership facts as plan lines: one row per member with the sources side by side
// (which inventory host is it, what the live cluster and the snapshot say, which
// manifests list it), then the disagreements. "?" means the source was not read, "-"
// that it was read and does not have the member.

import type { MembershipFacts } from './membership-facts.js';

const AUTHORITY: Record<MembershipFacts['authority'], string> = {
  live: "the live cluster's member list",
  snapshot: "the snapshot's members (no live member answered)",
  history: "only the manifests' history (neither the live cluster nor the snapshot was read)",
  none: 'unknown',
};

export function formatMembership(facts: MembershipFacts): string[] {
  const { sources } = facts;
  const cells = facts.rows.map((row) => [
    row.name || '(unnamed)',
    row.peerUrls.join(',') || '?',
    row.host ?? (row.dropped ? '(dropped)' : '-'),
    sources.live === 'not asked'
      ? '?'
      : sources.live === 'no answer'
        ? 'no answer'
        : row.live
          ? `${row.live.id}${row.live.id === facts.leader ? ' leader' : ''}${row.live.isLearner ? ' learner' : ''}${row.live.name ? '' : ' unstarted'}`
          : '-',
    sources.snapshot === 'not read' ? '?' : row.snapshot ? row.snapshot.id : '-',
    row.listedBy.length ? row.listedBy.map((l) => l.host).join(',') : '-',
  ]);
  const header = ['MEMBER', 'PEER URL', 'HOST', 'LIVE', 'SNAPSHOT', 'LISTED BY'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const counts = [
    `${facts.counts.hosts} inventory host(s)`,
    facts.counts.live !== undefined ? `${facts.counts.live} live member(s)` : `live: ${sources.live}`,
    facts.counts.snapshot !== undefined ? `${facts.counts.snapshot} in the snapshot` : 'snapshot not read',
    `${facts.counts.history} in manifests' --initial-cluster`,
  ].join(', ');
  return [
    `etcd membership (${counts}; who the members are: ${AUTHORITY[facts.authority]})`,
    line(header),
    ...cells.map(line),
    ...facts.disagreements.map((d) => `${d.level}: ${d.message}`),
    `restore with --initial-cluster ${facts.restore.initialCluster || '(none)'}`,
  ];
}
