// k8s.kubelet-restart: restart a node's kubelet after an etcd restore, so that it drops
// what it cached from the pre-restore API state (with etcd 3.4's etcdctl there is no
// --bump-revision: a kubelet that keeps watching at a revision newer than the restored
// data keeps pods the restored state no longer has, kubernetes/kubernetes#131115).
// The Kubernetes docs ask to restart kube-controller-manager and kube-scheduler too; in
// the restore runbooks they were stopped before the restore and started after it
// (static-pods.stop/start), so they hold no pre-restore cache: the plan shows them
// running, started by this run.
//
// "Restarted" is probed, not assumed: an identity of the running kubelet is read before
// (systemd's InvocationID, new on every start; on the sandbox the restart count of
// run/kubelet.json) and the check compares it after. A restart cannot be undone (and
// need not be). After a verified restore a kubelet that does not restart must not roll
// the restore back: with `onFailure: warn` the failure is named in the output and the
// step goes on (the operator restarts that kubelet by hand).

import { z } from 'zod';
import { ShellCommand, sh } from '../../shell/command.js';
import type { ActionDefinition, Change, Finding } from '../../core/action.js';
import { errorMessage } from '../../core/errors.js';
import { listField, optionalText } from '../fields.js';
import { checkCrictl, listRunningContainers } from './crictl.js';

const command = z.instanceof(ShellCommand, { message: 'expected a command' });

const schema = z.strictObject({
  /** How this host restarts its kubelet (`systemctl restart kubelet`). */
  command,
  /** Read-only: prints something that changes when the kubelet restarts. Default: systemd's InvocationID of kubelet.service. */
  identify: command.optional(),
  /** A kubelet state file with a `"restarts": N` line (the sandbox's run/kubelet.json): its count is the identity. */
  stateFile: optionalText(),
  /** fail: a restart that fails fails the step; warn: it is named and the step goes on. */
  onFailure: z.enum(['fail', 'warn']).default('fail'),
  /** Control-plane pods to show running (they were started after the restore by static-pods.start). */
  pods: listField().optional(),
  crictl: z.string().min(1).default('crictl'),
});

type Args = z.infer<typeof schema>;

const DEFAULT_IDENTIFY = sh`systemctl show -p InvocationID --value kubelet`;

function identityCommand(args: Args): ShellCommand {
  if (args.stateFile) return sh`sed -n 's/^ *"restarts": *\\([0-9]*\\).*/restarts \\1/p' -- ${args.stateFile}`;
  return args.identify ?? DEFAULT_IDENTIFY;
}

export const kubeletRestartAction: ActionDefinition<Args> = {
  name: 'k8s.kubelet-restart',
  summary: 'Restart the kubelet (probed: its identity changes), so it keeps nothing cached from before an etcd restore.',
  schema,
  commandFields: ['command', 'identify'],
  canSimulate: true,
  async plan(ctx, args) {
    const findings: Finding[] = [];
    const identify = identityCommand(args);
    const now = await ctx.probe(identify, { timeoutMs: 30_000 });
    const before = now.exitCode === 0 ? now.stdout.trim() : '';
    if (!before)
      findings.push({
        level: 'warn',
        message: `cannot tell the running kubelet on ${ctx.host.name} (${identify.toDisplay()} ${now.exitCode === 0 ? 'printed nothing' : `exited ${now.exitCode}`}): its restart is not probed`,
      });
    else findings.push({ level: 'info', message: `kubelet on ${ctx.host.name}: ${before} (checked to change after the restart)` });

    if (args.pods?.length) {
      const problem = await checkCrictl(ctx, args.crictl);
      try {
        const running = problem ? null : await listRunningContainers(ctx, args.crictl, args.pods);
        const up = running ? args.pods.filter((p) => running.get(p)!.length > 0) : [];
        const down = args.pods.filter((p) => !up.includes(p));
        if (up.length) findings.push({ level: 'info', message: `${up.join(', ')}: started after the restore (stopped before it, so no pre-restore cache): the restart the Kubernetes docs ask for` });
        if (down.length && !ctx.run.dryRun) findings.push({ level: 'warn', message: `${down.join(', ')} not running on ${ctx.host.name}${problem ? ` (${problem})` : ''}` });
      } catch (error) {
        findings.push({ level: 'warn', message: `cannot list ${args.pods.join(', ')}: ${errorMessage(error)}` });
      }
    }

    const change: Change = {
      description: `restart the kubelet on ${ctx.host.name}`,
      command: args.command,
      check: before
        ? sh`now=$(${identify}) || { echo "cannot tell: the identity probe failed"; exit 0; }; if [ "$now" != ${before} ]; then echo "applied: the kubelet restarted ($now, before: "${before}")"; else echo "reverted: the kubelet has not restarted ($now)"; fi`
        : undefined,
      // Nothing to put back: a restarted kubelet is what the node had, minus its stale cache.
      undo: null,
      ...(args.onFailure === 'warn'
        ? {
            apply: async (applyCtx) => {
              const result = await applyCtx.exec(args.command, { timeoutMs: 5 * 60_000 });
              const after = (await applyCtx.probe(identify, { timeoutMs: 30_000 })).stdout.trim();
              if (result.exitCode !== 0 || (before && after === before)) {
                const why =
                  result.exitCode !== 0
                    ? `the restart command exited ${result.exitCode ?? result.signal}: ${(result.stderr || result.stdout).trim().split('\n').slice(-2).join(' / ')}`
                    : `its identity did not change (${after})`;
                applyCtx.log(`WARNING: the kubelet of ${applyCtx.host.name} was NOT restarted (${why}); the restored data stays. Restart it by hand: ${args.command.toDisplay()}`);
              } else {
                applyCtx.log(`kubelet of ${applyCtx.host.name} restarted (${before || '?'} -> ${after || '?'})`);
              }
            },
          }
        : {}),
    };
    return { findings, changes: [change], simulated: true };
  },
};
