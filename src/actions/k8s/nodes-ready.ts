// k8s.nodes-ready: after a restore, the cluster is back only when the API server answers
// and every node reports Ready. Runs the real kubectl on the host with the admin
// kubeconfig, so it checks what an operator would check, over the same network path.
// An API server that is down or starting is waited for; an answer no wait can change
// (it cannot decode what etcd holds, the credentials are refused, the API has no
// nodes) fails the step at once with that answer.

import { z } from 'zod';
import type { ActionContext, ActionDefinition, Finding } from '../../core/action.js';
import { DrbookError } from '../../core/errors.js';
import { sh } from '../../shell/command.js';
import { durationField, formatDuration, listField } from '../fields.js';
import { lookUpCommand } from '../find-command.js';
import { pollUntil, type Attempt } from '../poll.js';

const schema = z.strictObject({
  kubeconfig: z.string().min(1).default('/etc/kubernetes/admin.conf'),
  kubectl: z.string().min(1).default('kubectl'),
  timeout: durationField('5m'),
  interval: durationField('5s'),
  /** Nodes that must be present (besides every listed node being Ready). */
  nodes: listField().optional(),
});

type Args = z.infer<typeof schema>;

export interface NodeReadiness {
  name: string;
  ready: boolean;
  /** "Ready=False (KubeletNotReady: ...)" or "no Ready condition". */
  detail: string;
}

/** Readiness of every node in `kubectl get nodes -o json` output. */
export function parseNodeReadiness(json: string): NodeReadiness[] {
  const list = JSON.parse(json) as { items?: Array<{ metadata?: { name?: string }; status?: { conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }> } }> };
  if (!Array.isArray(list.items)) throw new Error('no "items" list in the output');
  return list.items.map((item) => {
    const name = item.metadata?.name ?? '(unnamed)';
    const ready = item.status?.conditions?.find((c) => c.type === 'Ready');
    if (!ready) return { name, ready: false, detail: 'no Ready condition' };
    const why = [ready.reason, ready.message].filter(Boolean).join(': ');
    return { name, ready: ready.status === 'True', detail: `Ready=${ready.status}${why ? ` (${why})` : ''}` };
  });
}

/**
 * kubectl's failures that no retry can change, and what they mean; anything else
 * (connection refused, 503, timeouts, etcd errors behind a 500) may pass once the API
 * server and etcd are up. The forms are kubectl's own ("Error from server (<reason>): ...").
 */
const PERMANENT: Array<{ pattern: RegExp; meaning: string }> = [
  { pattern: /Error from server \(InternalError\).*(corrupt object|cannot decode|unable to decode|failed to decode)/i, meaning: 'the API server cannot decode what etcd holds' },
  { pattern: /Error from server \(Forbidden\)/, meaning: "the kubeconfig's user is not allowed to list nodes" },
  { pattern: /\(Unauthorized\)/, meaning: "the API server does not accept the kubeconfig's credentials" },
  { pattern: /the server doesn't have a resource type|Error from server \(NotFound\)/, meaning: 'the API server does not serve nodes' },
  { pattern: /error loading config file|invalid configuration|unable to read client-(cert|key)|x509: /, meaning: 'kubectl cannot use the kubeconfig or the server certificate' },
];

/** The meaning of a kubectl failure that will not change by waiting, or undefined. */
export function permanentFailureOf(output: string): string | undefined {
  return PERMANENT.find(({ pattern }) => pattern.test(output))?.meaning;
}

/** kubectl's own message, without the klog lines it prefixes ("E1123 09:46:58 memcache.go:265] ..."). */
function kubectlMessage(output: string, exitCode: number | null): string {
  const lines = output.trim().split('\n').filter(Boolean);
  const plain = lines.filter((line) => !/^[EWIF]\d{4} /.test(line));
  return (plain.length ? plain : lines).slice(-2).join(' / ') || `exit ${exitCode}`;
}

async function checkNodes(ctx: ActionContext, args: Args): Promise<Attempt<NodeReadiness[]>> {
  const result = await ctx.probe(sh`${args.kubectl} --kubeconfig ${args.kubeconfig} get nodes -o json --request-timeout=10s`, { timeoutMs: 30_000 });
  if (result.exitCode !== 0) {
    const output = result.stderr || result.stdout;
    const why = kubectlMessage(output, result.exitCode);
    const permanent = permanentFailureOf(output);
    if (permanent) throw new DrbookError('step', `${permanent}, waiting cannot help (kubectl get nodes: ${why})`, { host: ctx.host.name });
    return { done: false, reason: `the API server is not answering (kubectl get nodes: ${why})` };
  }
  let nodes: NodeReadiness[];
  try {
    nodes = parseNodeReadiness(result.stdout);
  } catch (error) {
    return { done: false, reason: `unexpected output of kubectl get nodes (${(error as Error).message})` };
  }
  const missing = (args.nodes ?? []).filter((name) => !nodes.some((n) => n.name === name));
  const notReady = nodes.filter((n) => !n.ready);
  if (nodes.length > 0 && missing.length === 0 && notReady.length === 0) return { done: true, value: nodes };
  const parts = [
    ...(nodes.length === 0 ? ['no nodes registered'] : []),
    ...(notReady.length ? [`not Ready: ${notReady.map((n) => `${n.name} (${n.detail})`).join(', ')}`] : []),
    ...(missing.length ? [`missing: ${missing.join(', ')}`] : []),
  ];
  return { done: false, reason: parts.join('; ') };
}

export const nodesReadyAction: ActionDefinition<Args> = {
  name: 'k8s.nodes-ready',
  summary: 'Wait until `kubectl get nodes` on the host lists every node Ready (names the ones that are not on timeout).',
  schema,
  canSimulate: true,
  // A resumed run runs it again: "done" rests on probes made after the last change.
  verifiesOutcome: true,
  async plan(ctx, args) {
    const findings: Finding[] = [];
    const kubectl = await lookUpCommand(ctx, args.kubectl);
    if (!kubectl.found) findings.push({ level: 'error', message: `${kubectl.why} on ${ctx.host.name}: cannot check the nodes` });
    const kubeconfig = await ctx.transport.stat(args.kubeconfig);
    if (!kubeconfig) findings.push({ level: 'error', message: `kubeconfig ${args.kubeconfig} does not exist on ${ctx.host.name}` });
    return {
      findings,
      simulated: true,
      changes: [
        {
          description: `wait until every node is Ready (kubectl --kubeconfig ${args.kubeconfig} get nodes, timeout ${formatDuration(args.timeout)})`,
          readOnly: true,
          timeoutMs: args.timeout + 60_000,
          apply: async (applyCtx) => {
            const outcome = await pollUntil({ timeoutMs: args.timeout, intervalMs: args.interval, signal: applyCtx.signal }, async () => {
              const attempt = await checkNodes(applyCtx, args);
              if (!attempt.done) applyCtx.log(attempt.reason);
              return attempt;
            });
            if (!outcome.ok) throw new DrbookError('timeout', `nodes not Ready after ${formatDuration(args.timeout)}: ${outcome.reason}`, { host: applyCtx.host.name });
            applyCtx.log(`Ready: ${outcome.value.map((n) => n.name).join(', ')}`);
          },
        },
      ],
    };
  },
};
