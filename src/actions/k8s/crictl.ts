// What the container runtime says is running, through crictl: the only honest answer
// to "did the pod stop?" (the kubelet stops containers some time after the manifest
// moved, and an API server may take its whole grace period). When crictl cannot answer,
// drbook says so instead of assuming.

import type { ActionContext } from '../../core/action.js';
import { DrbookError } from '../../core/errors.js';
import { sh } from '../../shell/command.js';
import { formatDuration } from '../fields.js';
import { lookUpCommand } from '../find-command.js';
import { pollUntil } from '../poll.js';

export type PodState = 'stopped' | 'running';

/**
 * null when crictl is installed; otherwise why not (for an error finding). Whether it is
 * installed is a fact of the run (find-command.ts); whether it answers, and what runs,
 * are probed every time by listRunningContainers (never remembered: the run changes it).
 */
export async function checkCrictl(ctx: Pick<ActionContext, 'probe'> & Partial<Pick<ActionContext, 'facts'>>, crictl: string): Promise<string | null> {
  const found = await lookUpCommand(ctx, crictl);
  return found.found ? null : found.why;
}

/** The one crictl command of a look: every running container, as JSON (filtered here, not by one `--name` call per pod). */
export function runningContainersCommand(crictl: string) {
  return sh`${crictl} ps --state running -o json`;
}

/**
 * Running container ids per pod (container name = `metadata.name`, matched exactly), from
 * ONE `crictl ps` on the host, never remembered (the run changes it). Throws when crictl
 * fails or answers something that is not its JSON.
 */
export async function listRunningContainers(ctx: Pick<ActionContext, 'probe' | 'host'>, crictl: string, pods: string[]): Promise<Map<string, string[]>> {
  const result = await ctx.probe(runningContainersCommand(crictl));
  if (result.exitCode !== 0) {
    const why = result.exitCode === 127 ? `${crictl} not found` : `\`${crictl} ps\` failed: ${tail(result.stderr || result.stdout) || `exit ${result.exitCode}`}`;
    throw new DrbookError('step', why, { host: ctx.host.name });
  }
  const running = new Map<string, string[]>(pods.map((pod) => [pod, []]));
  for (const container of parseContainers(crictl, result.stdout, ctx.host.name)) {
    if (container.state !== undefined && container.state !== 'CONTAINER_RUNNING') continue;
    running.get(container.name)?.push(container.id);
  }
  return running;
}

/** `{"containers": [{"id", "metadata": {"name"}, "state"}]}`, the shape of `crictl ps -o json`. */
function parseContainers(crictl: string, stdout: string, host: string): { id: string; name: string; state?: string }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new DrbookError('step', `\`${crictl} ps -o json\` did not print JSON: ${tail(stdout) || '(nothing)'}`, { host });
  }
  const list = (parsed as { containers?: unknown } | null)?.containers;
  if (!Array.isArray(list)) throw new DrbookError('step', `\`${crictl} ps -o json\` printed no "containers" list`, { host });
  return list.flatMap((c: { id?: unknown; metadata?: { name?: unknown }; state?: unknown }) =>
    typeof c?.id === 'string' && typeof c.metadata?.name === 'string' ? [{ id: c.id, name: c.metadata.name, state: typeof c.state === 'string' ? c.state : undefined }] : [],
  );
}

export interface WaitForPodsOptions {
  crictl: string;
  pods: string[];
  state: PodState;
  timeoutMs: number;
  intervalMs: number;
}

/** Poll crictl until every pod is in `state`; a timeout names the pods that are not. */
export async function waitForPods(ctx: Pick<ActionContext, 'probe' | 'host' | 'signal' | 'log'>, options: WaitForPodsOptions): Promise<void> {
  const verb = options.state === 'stopped' ? 'stopped' : 'started';
  const outcome = await pollUntil({ timeoutMs: options.timeoutMs, intervalMs: options.intervalMs, signal: ctx.signal }, async () => {
    let running: Map<string, string[]>;
    try {
      running = await listRunningContainers(ctx, options.crictl, options.pods);
    } catch (error) {
      throw new DrbookError('step', `cannot tell whether the containers ${verb}: ${(error as Error).message}`, { host: ctx.host.name, cause: error });
    }
    const pending = options.pods.filter((pod) => (options.state === 'stopped' ? running.get(pod)!.length > 0 : running.get(pod)!.length === 0));
    if (pending.length === 0) return { done: true, value: undefined };
    const reason =
      options.state === 'stopped'
        ? `still running: ${pending.map((p) => `${p} (${running.get(p)!.length} container${running.get(p)!.length > 1 ? 's' : ''})`).join(', ')}`
        : `not running: ${pending.join(', ')}`;
    ctx.log(reason);
    return { done: false, reason };
  });
  if (!outcome.ok) {
    throw new DrbookError('timeout', `containers not ${verb} after ${formatDuration(options.timeoutMs)} (crictl): ${outcome.reason}`, { host: ctx.host.name });
  }
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' / ');
}
