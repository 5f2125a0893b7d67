// --output json: one event per line, exactly as the engine emitted it (already masked).
import type { EventListener } from '../../core/events.js';

export function createJsonRenderer(write: (text: string) => void): EventListener {
  return (event) => write(`${JSON.stringify(event)}\n`);
}
