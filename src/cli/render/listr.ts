// On a terminal: listr2, one task per step and a subtask per host, driven by the
// engine's events (the engine does not know listr2 exists; rollback stays the
// engine's). Tasks wait on the events that start and finish them.

import { createInterface } from 'node:readline';
import { Listr, ListrPromptAdapter, ListrTaskEventType, type ListrTaskWrapper } from 'listr2';
import type { EventListener, StepState, TimedEvent } from '../../core/events.js';
import { rollbackSummary } from './rollback-summary.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

type HostEnd = { state: StepState; error?: string } | 'never';

/**
 * A one-line question inside listr2's screen: listr2 redraws the whole task tree, so a
 * prompt written to the terminal beside it would be drawn over. The question is shown as
 * the task's prompt line (listr2 keeps it at the bottom) and the answer is read as a line
 * from stdin (the terminal echoes what is typed).
 */
class LinePrompt extends ListrPromptAdapter {
  // listr2 declares run() generic over its answer; ours is always the line typed.
  async run<T = string>(question: string): Promise<T> {
    this.reportStarted();
    this.wrapper.stdout(ListrTaskEventType.PROMPT).write(`? ${question}`);
    const input = createInterface({ input: process.stdin, terminal: false });
    try {
      const line = await new Promise<string>((resolve) => {
        input.once('line', resolve);
        input.once('close', () => resolve('')); // stdin closed: no answer is a no
      });
      this.reportCompleted();
      return line as T;
    } catch (error) {
      this.reportFailed();
      throw error;
    } finally {
      input.close();
    }
  }
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- listr2's wrapper is generic over its renderer classes; this file drives tasks, not renderers
type Task = ListrTaskWrapper<unknown, any, any>;

export function createListrRenderer(): { listener: EventListener; finished: Promise<void>; ask: (question: string) => Promise<string> } {
  const stepStarts = new Map<string, Deferred<string[] | 'never'>>();
  const hostEnds = new Map<string, Deferred<HostEnd>>();
  const hostTasks = new Map<string, Task>();
  const rollbackStart = deferred<string | 'never'>();
  const rollbackEnd = deferred<Extract<TimedEvent, { type: 'rollback.finished' }>>();
  let rollbackTask: Task | undefined;
  /** The task of the step being run: questions (the confirm gate) are asked in it. */
  let currentStep = deferred<Task>();
  const finished = deferred<void>();
  let listr: Listr | undefined;
  const hostEnd = (key: string) => hostEnds.get(key) ?? hostEnds.set(key, deferred()).get(key)!;
  // Notices (the host locks) are written beside listr2's screen before it starts, and after it ends.
  const notices: string[] = [];
  const writeNotices = () => process.stderr.write(notices.splice(0).join(''));

  const start = (event: Extract<TimedEvent, { type: 'run.started' }>) => {
    for (const step of event.steps) stepStarts.set(step.id, deferred());
    listr = new Listr(
      [
        ...event.steps.map((step, i) => ({
          title: `${i + 1}. ${step.name}`,
          task: async (_ctx: unknown, task: Task) => {
            const hosts = await stepStarts.get(step.id)!.promise;
            if (hosts === 'never') return task.skip(`${step.name} (not run)`);
            currentStep.resolve(task);
            return task.newListr(
              hosts.map((host) => ({
                title: host,
                task: async (_c: unknown, sub: Task) => {
                  hostTasks.set(`${step.id}/${host}`, sub);
                  const end = await hostEnd(`${step.id}/${host}`).promise;
                  if (end === 'never' || end.state === 'cancelled') return sub.skip(`${host}: not run`);
                  if (end.state === 'skipped') return sub.skip(`${host}: skipped`);
                  if (end.state === 'planned') return void (sub.title = `${host}: planned (nothing applied)`);
                  if (end.state !== 'done') throw new Error(`${host}: ${end.state}${end.error ? ` — ${end.error}` : ''}`);
                },
              })),
              { concurrent: true, exitOnError: false },
            );
          },
        })),
        {
          title: 'Rollback',
          task: async (_ctx: unknown, task: Task) => {
            const reason = await rollbackStart.promise;
            if (reason === 'never') return task.skip('Rollback (not needed)');
            rollbackTask = task;
            task.title = `Rollback: ${reason.split('\n')[0]}`;
            const end = await rollbackEnd.promise;
            if (!end.ok) throw new Error(`NOT VERIFIED — not back or cannot tell:\n${end.left.join('\n')}`);
            task.title = `Rollback verified: ${rollbackSummary(end)}`;
          },
        },
      ],
      { concurrent: false, exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseErrors: false } },
    );
    listr
      .run()
      // Failures arrive as events and are shown on their tasks (exitOnError: false); listr's own rejection would repeat them.
      .catch(() => undefined)
      .finally(() => (writeNotices(), finished.resolve()));
  };

  const listener: EventListener = (event) => {
    switch (event.type) {
      case 'run.started':
        start(event);
        break;
      case 'step.started':
        currentStep = deferred(); // listr2 starts the step's task a moment after this event
        stepStarts.get(event.stepId)?.resolve(event.hosts);
        break;
      case 'output':
      case 'change.started': {
        const task = hostTasks.get(`${event.stepId}/${event.host}`);
        const text = event.type === 'output' ? event.text.trim().split('\n').pop() : event.description;
        if (task && text) task.output = text;
        break;
      }
      case 'host.finished':
        hostEnd(`${event.stepId}/${event.host}`).resolve({ state: event.state, error: event.error });
        break;
      case 'rollback.started':
        rollbackStart.resolve(event.reason);
        for (const d of stepStarts.values()) d.resolve('never');
        break;
      case 'undo.started':
        if (rollbackTask) rollbackTask.output = `${event.host}: undo ${event.stepId}: ${event.description}`;
        break;
      case 'change.probed':
        if (rollbackTask) rollbackTask.output = `${event.host}: check ${event.stepId} #${event.index}: ${event.verdict === 'unknown' ? 'cannot tell' : event.verdict}`;
        break;
      case 'rollback.finished':
        rollbackEnd.resolve(event);
        break;
      case 'run.notice':
        notices.push(`${event.level === 'info' ? 'i' : event.level === 'warn' ? '!' : '✗'} ${event.message}\n`);
        if (!listr) writeNotices();
        break;
      case 'run.finished':
        for (const d of stepStarts.values()) d.resolve('never');
        for (const d of hostEnds.values()) d.resolve('never');
        rollbackStart.resolve('never');
        if (!listr) {
          writeNotices();
          finished.resolve();
        }
        break;
    }
  };
  const ask = async (question: string): Promise<string> => (await currentStep.promise).prompt(LinePrompt).run<string>(question);
  return { listener, finished: finished.promise, ask };
}
