// Plain timestamped lines, for CI and logs (and for any output that is not a
// terminal). The same renderer prints the dry-run plan: steps, hosts, probes'
// findings, every command that would run, and which changes have no undo.

import type { EventListener, TimedEvent } from '../../core/events.js';
import { formatMs } from '../../engine/step-runner.js';
import { rollbackSummary } from './rollback-summary.js';

const MARK = { ok: '✓', info: 'i', warn: '!', error: '✗' } as const;
const PHASE = { resume: 'cut off; resume checks', 'before-undo': 'check', 'after-undo': 'after its undo', final: 'final check' } as const;

export function createPlainRenderer(write: (text: string) => void): EventListener {
  const partial = new Map<string, string>();
  const stepNumbers = new Map<string, number>();
  let dryRun = false;
  const line = (event: TimedEvent, text: string) => write(`${event.at.slice(11, 23)} ${text}\n`);

  return (event) => {
    switch (event.type) {
      case 'run.started':
        dryRun = event.dryRun;
        line(event, `${dryRun ? 'PLAN (dry-run: nothing will be changed)' : event.resumed ? 'RESUME' : 'RUN'} ${event.runbook} — run ${event.runId} on ${event.hosts.join(', ')}`);
        break;
      case 'step.started':
        stepNumbers.set(event.stepId, stepNumbers.size + 1);
        line(event, `▶ step ${stepNumbers.get(event.stepId)} ${event.stepId}: ${event.name} [${event.hosts.join(', ') || 'no hosts'}]`);
        break;
      case 'host.finding':
        line(event, `  ${event.host} ${MARK[event.finding.level]} ${event.finding.message}`);
        break;
      case 'host.planned':
        if (!dryRun) break;
        if (event.changes.length === 0) line(event, `  ${event.host} nothing to do`);
        event.changes.forEach((change, i) => {
          const flag = change.readOnly ? ' (read-only)' : change.undo ? '' : '  [NO UNDO]';
          line(event, `  ${event.host} ${i + 1}. ${change.description}${flag}`);
          if (change.command) line(event, `  ${event.host}    $ ${change.command}`);
          if (change.undo) line(event, `  ${event.host}    undo: ${change.undo}`);
        });
        if (!event.simulated) line(event, `  ${event.host} (not simulated: this action cannot be probed in a dry-run; the commands above are what would run)`);
        break;
      case 'change.started':
        line(event, `  ${event.host} → ${event.description}${event.command ? `\n${' '.repeat(13)}  ${event.host}    $ ${event.command}` : ''}`);
        break;
      case 'output': {
        const key = `${event.stepId}/${event.host}/${event.stream}`;
        const text = (partial.get(key) ?? '') + event.text;
        const lines = text.split('\n');
        partial.set(key, lines.pop()!);
        for (const l of lines) line(event, `  ${event.host} | ${l}`);
        break;
      }
      case 'change.finished':
        if (!event.ok) line(event, `  ${event.host} ✗ failed after ${formatMs(event.durationMs)}: ${event.error}`);
        break;
      case 'host.finished':
        // In a plan, a sound host-step is `planned`: its plan lines above say what the run would do there.
        if (event.state !== 'planned' || !dryRun) line(event, `  ${event.host} ${event.state}${event.durationMs ? ` in ${formatMs(event.durationMs)}` : ''}${event.error ? `: ${event.error}` : ''}`);
        break;
      case 'step.finished':
        line(event, `■ step ${event.stepId} ${event.state} in ${formatMs(event.durationMs)}`);
        break;
      case 'rollback.started':
        line(event, `↺ ROLLBACK: ${event.reason.split('\n')[0]}`);
        break;
      case 'undo.started':
        line(event, `  ${event.host} ↺ step ${event.stepId}: ${event.description}${event.command ? ` ($ ${event.command})` : ''}`);
        break;
      case 'undo.finished':
        if (!event.ok) line(event, `  ${event.host} ✗ undo failed: ${event.error}`);
        break;
      case 'change.probed':
        // Probes that found nothing to do, or a doubt, are worth a line; "applied" before an undo is shown by the undo itself.
        if (event.verdict !== 'applied' || event.phase === 'resume' || event.phase === 'final' || event.phase === 'after-undo') {
          line(event, `  ${event.host} ? step ${event.stepId} #${event.index} (${PHASE[event.phase]}): ${event.verdict === 'unknown' ? 'CANNOT TELL' : event.verdict} — ${event.detail}`);
        }
        break;
      case 'rollback.finished':
        line(event, event.ok ? `↺ rollback complete: ${rollbackSummary(event)}` : `↺ ROLLBACK NOT VERIFIED — not back or cannot tell:\n${event.left.map((l) => `    - ${l}`).join('\n')}`);
        if (event.unverified?.length) line(event, `  undone without a check to confirm it:\n${event.unverified.map((l) => `    - ${l}`).join('\n')}`);
        if (event.irreversible.length) line(event, `  left as they are (no undo in the runbook):\n${event.irreversible.map((l) => `    - ${l}`).join('\n')}`);
        break;
      case 'run.notice':
        line(event, `${MARK[event.level]} ${event.message.split('\n').join(`\n${' '.repeat(15)}`)}`);
        break;
      case 'run.finished':
        line(event, `${dryRun ? 'PLAN' : 'RUN'} ${event.state} (exit ${event.exitCode}) in ${formatMs(event.durationMs)}${event.error && !dryRun ? ` — ${event.error.split('\n')[0]}` : ''}`);
        if (dryRun && event.error) write(`${event.error}\n`);
        break;
    }
  };
}
