// Per-step timings of a run, read off the engine's events, for rehearsals, the demo
// and the benchmark: how long each step took, how much of it was spent in the
// commands themselves, and how long the control plane was down.

import type { EventBus, StepState } from '../core/events.js';

export interface StepTiming {
  id: string;
  name: string;
  state: StepState;
  durationMs: number;
}

export interface RunTimings {
  steps: StepTiming[];
  totalMs: number;
  /** Sum over hosts of the longest change time per step: the work itself, without the engine. */
  commandMs: number;
  /** From the first static-pods.stop change to the end of the last static-pods.start step. */
  downtimeMs?: number;
}

export function recordTimings(bus: EventBus): () => RunTimings {
  const names = new Map<string, string>();
  const actions = new Map<string, string>();
  const steps: StepTiming[] = [];
  const changeMsByStep = new Map<string, Map<string, number>>();
  let started = 0;
  let finished = 0;
  let downStart: number | undefined;
  let downEnd: number | undefined;
  bus.subscribe((event) => {
    const at = Date.parse(event.at);
    switch (event.type) {
      case 'run.started':
        started = at;
        break;
      case 'step.started':
        names.set(event.stepId, event.name);
        actions.set(event.stepId, event.action);
        if (downStart === undefined && event.action === 'static-pods.stop') downStart = at;
        break;
      case 'change.finished': {
        const hosts = changeMsByStep.get(event.stepId) ?? new Map<string, number>();
        hosts.set(event.host, (hosts.get(event.host) ?? 0) + event.durationMs);
        changeMsByStep.set(event.stepId, hosts);
        break;
      }
      case 'step.finished':
        steps.push({ id: event.stepId, name: names.get(event.stepId) ?? event.stepId, state: event.state, durationMs: event.durationMs });
        if (actions.get(event.stepId) === 'static-pods.start') downEnd = at;
        break;
      case 'run.finished':
        finished = at;
        break;
    }
  });
  return () => ({
    steps,
    totalMs: finished - started,
    // Hosts run in parallel: a step costs its slowest host.
    commandMs: [...changeMsByStep.values()].reduce((sum, hosts) => sum + Math.max(0, ...hosts.values()), 0),
    downtimeMs: downStart !== undefined && downEnd !== undefined ? downEnd - downStart : undefined,
  });
}

export function formatTimings(timings: RunTimings): string {
  const width = Math.max(...timings.steps.map((s) => s.id.length), 4);
  const rows = timings.steps.map((s) => `  ${s.id.padEnd(width)}  ${s.state.padEnd(9)} ${seconds(s.durationMs).padStart(8)}  ${s.name}`);
  return [
    `  ${'STEP'.padEnd(width)}  STATE     DURATION  NAME`,
    ...rows,
    '',
    `  total run time:         ${seconds(timings.totalMs)}`,
    ...(timings.downtimeMs !== undefined ? [`  control plane down for: ${seconds(timings.downtimeMs)} (stop → start of the static pods)`] : []),
  ].join('\n');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}
