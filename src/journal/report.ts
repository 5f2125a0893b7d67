// `drbook report RUN_ID`: a run's journal as a Markdown timeline for the post-incident
// write-up. It ends with what the run left behind, because after a failed rollback or
// a crash the first question is "what exactly is still changed, and where?". Every
// text in the journal is already masked, so the report can be shared as is.

import { formatDuration, between, cell, code, fenced, formatClock, formatTime, table } from './markdown.js';
import type { JournalEntry } from '../core/journal-records.js';
import { replayJournal, type ChangeHistory, type HostStepHistory, type RunHistory, type RunListState, type StepHistory } from './replay.js';
import { deriveRunState, type LivenessOptions } from './runs.js';
import { renderStateLeft } from './report-state-left.js';

export interface ReportOptions extends LivenessOptions {
  /** The run's state when already known (e.g. from listRuns); otherwise derived, checking the pid for a run without an end. */
  state?: RunListState;
}

/** The Markdown report of a run, from its journal entries (as readJournal returns them). */
export function renderReport(entries: readonly JournalEntry[], options: ReportOptions = {}): string {
  const history = replayJournal(entries);
  const state = options.state ?? deriveRunState(history, options);
  const sections = [
    `# drbook report: ${history.header.runbook.name} — run ${history.header.runId}`,
    outcomeSentence(history, state),
    renderSummary(history, state),
    renderHostLocks(entries),
    renderTimeline(history),
    ...history.rollbacks.map((_, i) => renderRollback(history, i)),
    renderStateLeft(history, state),
  ];
  return `${sections.filter(Boolean).join('\n\n')}\n`;
}

/** What the run met on its hosts' locks (src/hostlock): runs it went ahead over, markers removed, commands waited for. */
function renderHostLocks(entries: readonly JournalEntry[]): string {
  const lines = entries.flatMap((e) =>
    e.t !== 'hosts-locked'
      ? []
      : [
          ...(e.overridden ?? []).map((o) => `- ${o.host}: went ahead over the unfinished changes of run ${code(o.runId)} (\`--ignore-run\`)`),
          ...(e.cleared ?? []).map((c) => `- ${c.host}: removed the marker of run ${code(c.runId)}: ${c.why}`),
          ...(e.waited ?? []).map((w) => `- ${w.host}: waited ${formatDuration(w.ms)} for a command of run ${w.runIds.map(code).join(', ')} still running`),
          ...(e.staleLocalLocks ?? []).map((l) => `- ${l.host}: took over the state dir's lock left by run ${code(l.runId)} (pid ${l.pid}, gone)`),
        ],
  );
  return lines.length ? `## Host locks\n\n${lines.join('\n')}` : '';
}

function outcomeSentence(history: RunHistory, state: RunListState): string {
  const { header, end } = history;
  const took = formatDuration(between(header.at, end?.at ?? history.lastAt) ?? 0);
  switch (state) {
    case 'done':
      return `The run completed on ${header.hosts.length} host(s) in ${took}.`;
    case 'planned':
      return `A dry-run: the plan was made and probed in ${took}; nothing was changed.`;
    case 'running':
      return `The run is still running (pid ${history.pid} on ${header.machine}); this report covers its journal up to ${formatTime(history.lastAt)}.`;
    case 'crashed':
      return `The run was cut off after ${took}: no end was recorded and its process (pid ${history.pid}) is gone (killed, terminal closed or machine restarted).`;
    default:
      return `The run ended **${state}** after ${took}${end?.error ? `: ${firstLine(end.error)}` : '.'}`;
  }
}

function renderSummary(history: RunHistory, state: RunListState): string {
  const { header, end } = history;
  const params = [...Object.entries(header.cliParams).map(([k, v]) => code(`${k}=${v}`)), ...header.secretParams.map((name) => `${code(name)} (secret, not journaled)`)];
  const rows: Array<[string, string]> = [
    ['Runbook', `${code(header.runbook.name)} from ${code(header.runbook.file)} (sha256 ${code(header.runbook.sha256.slice(0, 12))})`],
    ['Run id', code(header.runId)],
    ['Started', formatTime(header.at)],
    ['Ended', end ? formatTime(end.at) : `not recorded — the journal stops at ${formatTime(history.lastAt)}`],
    ['Duration', formatDuration(between(header.at, end?.at ?? history.lastAt) ?? 0) + (end ? '' : ' (until the journal stops)')],
    ['Outcome', `**${state}**${end ? ` (exit code ${end.exitCode})` : ''}`],
    ['Hosts', header.hosts.join(', ') || '-'],
    ['Operator machine', `${code(header.machine)} (pid ${header.pid})`],
    ['Mode', `${header.dryRun ? 'dry-run' : 'run'}; rollback on failure: ${header.rollbackOnFailure ? 'yes' : 'no'}`],
  ];
  if (header.inventory) rows.push(['Inventory', `${code(header.inventory.file)} (sha256 ${code(header.inventory.sha256.slice(0, 12))})`]);
  if (params.length) rows.push(['Parameters', params.join(', ')]);
  for (const resume of history.resumes) rows.push(['Resumed', `${formatTime(resume.at)} by pid ${resume.pid}`]);
  if (end?.error) rows.push(['Error', end.error]);
  return `## Summary\n\n${table(
    ['', ''],
    rows.map(([k, v]) => [`**${k}**`, cell(v)]),
  )}`;
}

function renderTimeline(history: RunHistory): string {
  if (history.steps.length === 0) return '## Timeline\n\nNo step was planned or started.';
  return ['## Timeline', ...history.steps.map((step, i) => renderStep(step, i + 1, history.ended))].join('\n\n');
}

function renderStep(step: StepHistory, n: number, ended: boolean): string {
  // A host-step left 'running' in a run that ended was never reported finished; in a run cut off, it was in flight.
  const running = ended ? 'no end recorded' : 'in flight (no end recorded)';
  const took = between(step.startedAt ?? firstStart(step), step.endedAt ?? lastEnd(step));
  const when = step.startedAt || firstStart(step) ? `Started ${formatClock(step.startedAt ?? firstStart(step))}${took === undefined ? '' : `, took ${formatDuration(took)}`}.` : 'Not started.';
  const rows = step.hosts.map((h) => [
    cell(h.host),
    cell(h.state === 'running' ? running : h.state),
    formatClock(h.startedAt),
    h.state === 'running' ? '-' : (fmt(between(h.startedAt, h.endedAt)) ?? '-'),
    cell(countChanges(h.changes)),
  ]);
  const parts = [`### ${n}. ${step.name} (${code(step.id)}) — ${step.state}`, when];
  if (rows.length) parts.push(table(['Host', 'State', 'Started', 'Duration', 'Changes'], rows));
  for (const h of step.hosts) {
    const problems = renderHostProblems(h, ended);
    if (problems) parts.push(problems);
  }
  return parts.join('\n\n');
}

/** Failed, in-flight and cut-off changes of one host, with the error, the tail of the output and what their checks said. */
function renderHostProblems(h: HostStepHistory, ended: boolean): string | undefined {
  // Also a change a resume found done by its check: the timeline must show it was cut off.
  const bad = h.changes.filter((c) => c.status !== 'ok' || c.result?.resolved);
  if (bad.length === 0 && !h.error) return undefined;
  const parts = [`#### ${h.host}: ${h.state !== 'running' ? h.state : ended ? 'no end recorded' : 'in flight when the journal stopped'}`];
  if (h.error) parts.push(h.error.trim().includes('\n') ? `Error:\n\n${fenced(h.error)}` : `Error: ${h.error.trim()}`);
  for (const c of bad) {
    const what = `Change #${c.index}: ${c.description}${c.command ? ` — ${code(c.command)}` : ''}`;
    const probed = describeProbes(c);
    if (c.status === 'in-flight') {
      parts.push(`${what} — **started at ${formatClock(c.startedAt)}, no result recorded**: it may or may not have happened${c.check ? '' : ' (the step gives no check to tell)'}.${probed}`);
      continue;
    }
    if (c.result?.resolved) {
      const found = c.result.resolved === 'applied' ? 'it had happened' : c.result.resolved === 'reverted' ? 'it had not happened' : 'it cannot tell';
      parts.push(`${what} — **cut off in flight**; when the run was resumed its check said ${found}.${probed}`);
      continue;
    }
    const exit = c.result?.exitCode === undefined ? '' : ` with exit code ${c.result.exitCode}`;
    const error = c.result?.error && c.result.error !== h.error ? `: ${firstLine(c.result.error)}` : '.';
    parts.push(`${what} — **failed**${exit} after ${formatDuration(c.result?.durationMs ?? 0)}${error}${probed}`);
    if (c.result?.outputTail) parts.push(`Last lines of output:\n\n${fenced(c.result.outputTail)}`);
  }
  return parts.join('\n\n');
}

function renderRollback(history: RunHistory, i: number): string {
  const rollback = history.rollbacks[i]!;
  const title = history.rollbacks.length > 1 ? `## Rollback ${i + 1}` : '## Rollback';
  const outcome =
    rollback.ok === undefined
      ? `never finished (the journal stops at ${formatClock(history.lastAt)})`
      : `finished ${formatClock(rollback.finishedAt)} after ${formatDuration(between(rollback.startedAt, rollback.finishedAt) ?? 0)}: **${rollback.undone === undefined ? (rollback.ok ? 'ok' : 'failed') : rollback.ok ? 'verified' : 'not verified'}**`;
  const parts = [title, `${rollback.reason ? `Reason: ${firstLine(rollback.reason)}\n\n` : ''}Started ${formatClock(rollback.startedAt)}, ${outcome}.`];
  if (rollback.undone !== undefined) {
    parts.push(`${rollback.undone} change(s) undone, ${rollback.foundReverted ?? 0} found not applied by their checks; ${rollback.ok ? 'every check says reverted' : 'not back, or cannot tell:'}`);
    if (!rollback.ok && rollback.left?.length) parts.push(rollback.left.map((l) => `- ${l}`).join('\n'));
  }
  if (rollback.undos.length === 0) parts.push('Nothing was undone.');
  else {
    const rows = rollback.undos.map((u, n) => [
      String(n + 1),
      code(u.stepId),
      cell(u.host),
      cell(`${u.description}${u.command ? ` — ${code(u.command)}` : ''}`),
      cell(u.ok === undefined ? 'in flight (no result)' : u.ok ? 'ok' : `**failed**${u.error ? `: ${u.error}` : ''}`),
      u.durationMs === undefined ? '-' : formatDuration(u.durationMs),
    ]);
    parts.push(table(['#', 'Step', 'Host', 'Undo', 'Result', 'Duration'], rows));
  }
  return parts.join('\n\n');
}

/** The checks run on a change outside the change itself (resume, rollback), as one sentence. */
function describeProbes(c: ChangeHistory): string {
  if (c.probes.length === 0) return '';
  const said = c.probes.map((p) => `${PHASES[p.phase]}: ${p.verdict === 'unknown' ? 'cannot tell' : p.verdict} (${p.detail})`);
  return ` Its check — ${said.join('; ')}.`;
}

const PHASES = { resume: 'on resume', 'before-undo': 'before the undo', 'after-undo': 'after the undo', final: 'after the rollback' } as const;

/** Each change counted once, by where it ended: ok, failed, in flight, undone, or found not applied by its check. */
function countChanges(changes: ChangeHistory[]): string {
  if (changes.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const c of changes) {
    const key = c.foundReverted ? 'not applied (checked)' : c.undone ? 'undone' : c.status === 'in-flight' ? 'in flight' : c.status;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
}

function firstStart(step: StepHistory): string | undefined {
  return step.hosts
    .map((h) => h.startedAt)
    .filter((t): t is string => !!t)
    .sort()[0];
}

function lastEnd(step: StepHistory): string | undefined {
  return step.hosts
    .map((h) => h.endedAt)
    .filter((t): t is string => !!t)
    .sort()
    .at(-1);
}

function fmt(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : formatDuration(ms);
}

export function firstLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines.length > 1 ? `${lines[0]} (…)` : (lines[0] ?? '');
}
