// The words of the host lock: refusals that name the run in the way, where it was
// started from and the commands that finish it.

import type { Refusal } from './decide.js';
import type { LockInfo } from './records.js';

export interface Here {
  machine: string;
  stateDir: string;
}

const list = (hosts: string[]) => (hosts.length === 1 ? `host ${hosts[0]}` : `hosts ${hosts.join(', ')}`);

export function describeRefusal(refusal: Refusal, here: Here): string {
  switch (refusal.kind) {
    case 'damaged-marker':
      return `${list(refusal.hosts)}: the marker of run ${refusal.runId} cannot be read (${refusal.problem}); that run changed the host and did not finish.\n  finish it (\`drbook resume ${refusal.runId}\` or \`drbook rollback ${refusal.runId}\` where its journal is), or go ahead anyway with --ignore-run ${refusal.runId} (journaled)`;
    case 'overridden':
      return `${list(refusal.hosts)}: run ${refusal.by.runId} (${refusal.by.user}@${refusal.by.machine}) went ahead over this run's leftovers at ${refusal.by.at} and changed the host since; resuming or rolling back run ${refusal.runId} now would act on top of its changes.\n  if that is what you want, pass --ignore-run ${refusal.by.runId} (journaled)`;
    case 'unfinished':
      return describeUnfinished(refusal, here);
  }
}

function describeUnfinished(refusal: Extract<Refusal, { kind: 'unfinished' }>, here: Here): string {
  const { runId, marker, lookup } = refusal;
  const who = marker ? ` (runbook ${marker.runbook}, started ${marker.startedAt} by ${marker.user} on ${marker.machine}, pid ${marker.pid}, state dir ${marker.stateDir})` : '';
  const lines = [`${list(refusal.hosts)}: run ${runId} changed ${refusal.hosts.length === 1 ? 'it' : 'them'} and did not finish${who}.`];
  if (lookup?.readable) {
    const { summary, stateDir } = lookup;
    lines.push(`  its journal here says: ${summary.state}${summary.note ? ` (${summary.note})` : ''}`);
    const flag = stateDir === here.stateDir ? '' : ` --state-dir ${stateDir}`;
    const finish = [summary.canResume && `\`drbook resume ${runId}${flag}\` to continue it`, summary.canRollback && `\`drbook rollback ${runId}${flag}\` to undo it`].filter(Boolean);
    lines.push(finish.length ? `  finish it first: ${finish.join(', or ')}` : `  its journal offers neither resume nor rollback: look at \`drbook report ${runId}${flag}\``);
  } else {
    const elsewhere = marker && marker.machine !== here.machine;
    const flag = marker ? ` --state-dir ${marker.stateDir}` : '';
    lines.push(
      elsewhere
        ? `  its journal is on ${marker!.machine}; finish it there: \`drbook resume ${runId}${flag}\` to continue it, or \`drbook rollback ${runId}${flag}\` to undo it`
        : `  its journal is not here${lookup && !lookup.readable ? ` (${lookup.why})` : ''}; finish it where it is: \`drbook resume ${runId}${flag}\` or \`drbook rollback ${runId}${flag}\``,
    );
  }
  if (refusal.inflightOn.length) lines.push(`  a command of that run is still running on ${refusal.inflightOn.join(', ')}`);
  lines.push(`  or go ahead anyway with --ignore-run ${runId} (journaled) once you know its leftovers are harmless`);
  return lines.join('\n');
}

export function describeBusy(host: string, holder: LockInfo | undefined, raw: string | undefined, here: Here): string {
  if (!holder) {
    return `host ${host} is locked by another drbook run${raw ? ` (its lock.json cannot be read: ${raw.slice(0, 200)})` : ' (it has not said who it is yet)'}; try again in a moment`;
  }
  const where = holder.machine === here.machine ? `pid ${holder.pid} on this machine` : `${holder.user}@${holder.machine}, pid ${holder.pid}`;
  return `host ${host} is locked by run ${holder.runId} (${holder.purpose} of runbook ${holder.runbook}, ${where}, state dir ${holder.stateDir}, since ${holder.at})`;
}

export function busyHint(holder: LockInfo | undefined, beatSeconds: number | undefined): string {
  const wait = 'wait for it to finish (`drbook runs` on its machine shows it)';
  if (!holder?.holderPid) return wait;
  const gone = beatSeconds ? `; a machine that vanished loses the lock within ${beatSeconds}s` : '';
  return `${wait}${gone}; to break it by hand, stop the holder process ${holder.holderPid} on the host`;
}
