// Which renderer: listr2 on a terminal, plain lines otherwise, JSON lines on request.
// A dry-run's plan is text to read, so it is always plain (or JSON).

import { EventBus } from '../../core/events.js';
import { createJsonRenderer } from './json.js';
import { createPlainRenderer } from './plain.js';

export type OutputMode = 'auto' | 'plain' | 'json';

export interface Output {
  bus: EventBus;
  /** Resolves when the renderer has drawn everything (listr2 renders asynchronously). */
  finished(): Promise<void>;
  /** A line for the operator outside the event stream (stderr, so JSON on stdout stays clean). */
  say(text: string): void;
  /**
   * Asks the operator a question and resolves with the line typed, when the renderer
   * owns the screen (listr2 redraws over anything else written to the terminal).
   * Absent: a plain prompt on stderr is fine.
   */
  ask?: (question: string) => Promise<string>;
}

export async function createOutput(mode: OutputMode, options: { dryRun: boolean }): Promise<Output> {
  const bus = new EventBus();
  const write = (text: string) => process.stdout.write(text);
  const say = (text: string) => process.stderr.write(`${text}\n`);
  if (mode === 'json') {
    bus.subscribe(createJsonRenderer(write));
    return { bus, say, finished: async () => undefined };
  }
  if (mode === 'auto' && process.stdout.isTTY && !options.dryRun) {
    const { createListrRenderer } = await import('./listr.js');
    const renderer = createListrRenderer();
    bus.subscribe(renderer.listener);
    return { bus, say, finished: () => renderer.finished, ask: renderer.ask };
  }
  bus.subscribe(createPlainRenderer(write));
  return { bus, say, finished: async () => undefined };
}
