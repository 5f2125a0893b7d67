// k8s.ghosts: after a verified restore, remove what the snapshot holds of hosts that are
// not in the restored cluster (ghosts-find.ts says which): the masterleases of API
// servers that no longer exist and the Node objects of dropped masters (or of nodes the
// operator names). Listed from the snapshot's keys in the plan, before any change.
// Removed through etcdctl on the restored etcd, the masterleases because no API serves
// them, the Nodes too: the API servers watch etcd, so a deleted key is a deleted Node to
// every informer (Nodes carry no finalizers), and the undo can put the exact bytes back
// (same uid, same protobuf), which `kubectl create` of a Node could not.
// Each key's value is read at run time and kept in the change's undo (the journal); the
// check says applied once the key is gone, reverted when it holds that value again.
// Run once for the cluster: by the first host of the step (the others only plan).

import { z } from 'zod';
import { ShellCommand, sh } from '../../shell/command.js';
import type { ActionContext, ActionDefinition, Change, Finding, SharedPlan } from '../../core/action.js';
import { errorMessage } from '../../core/errors.js';
import { listField } from '../fields.js';
import { askEtcdMember } from '../etcd/facts.js';
import { readSnapshotMembership } from '../../etcd/snapshot-members.js';
import { planCredentials } from '../etcd/credentials.js';
import { readSnapshotNodes } from './snapshot-nodes.js';
import { findGhosts, hostOfUrl, unknownNamedNodes, type RestoredMember } from './ghosts-find.js';

const schema = z.strictObject({
  snapshot: z.string().min(1),
  manifest: z.string().min(1).default('/etc/kubernetes/manifests/etcd.yaml'),
  /** Nodes to remove although they are no etcd member (a worker that is gone for good). Never inferred. */
  removeNodes: listField().optional(),
  etcdctl: z.string().min(1).default('etcdctl'),
});

type Args = z.infer<typeof schema>;

interface Shared {
  restored: RestoredMember[];
  first: string;
}

async function memberOf(ctx: ActionContext, args: Args): Promise<RestoredMember | { problem: string }> {
  const found = await askEtcdMember(ctx, args.manifest);
  if (!found.ok) return { problem: found.problem };
  const addresses = [...found.facts.peerUrls, ...found.facts.clientUrls].map(hostOfUrl).filter((h): h is string => !!h);
  return { name: found.facts.name, addresses: [...new Set(addresses)] };
}

export const ghostsAction: ActionDefinition<Args> = {
  name: 'k8s.ghosts',
  summary: 'Remove the masterleases and control-plane Node objects of hosts that are not in the restored cluster (listed from the snapshot; values kept for the undo).',
  schema,
  canSimulate: true,
  async planAcrossHosts(hosts): Promise<SharedPlan> {
    const findings: SharedPlan['findings'] = [];
    const restored: RestoredMember[] = [];
    for (const { ctx, args } of hosts) {
      const member = await memberOf(ctx, args);
      if ('problem' in member) findings.push({ host: ctx.host.name, finding: { level: 'error', message: `cannot tell this host's etcd member: ${member.problem}` } });
      else restored.push(member);
    }
    return { value: { restored, first: hosts[0]!.ctx.host.name } satisfies Shared, findings };
  },
  async plan(ctx, args, shared) {
    const findings: Finding[] = [];
    const changes: Change[] = [];
    const done = () => ({ simulated: true, findings, changes });
    const { restored, first } = shared as Shared;
    if (ctx.host.name !== first) {
      findings.push({ level: 'info', message: `ghosts are removed once for the cluster, from ${first}` });
      return done();
    }
    let keys: Set<string>;
    let controlPlane: Set<string>;
    let snapshotMembers: string[];
    try {
      ({ keys, controlPlane } = readSnapshotNodes(await ctx.transport.readFile(args.snapshot)));
      snapshotMembers = (await readSnapshotMembership(ctx.transport, args.snapshot)).members.map((m) => m.name);
    } catch (error) {
      findings.push({ level: ctx.run.dryRun ? 'warn' : 'error', message: `cannot read the snapshot ${args.snapshot}'s keys: ${errorMessage(error)}` });
      return done();
    }
    const ghosts = findGhosts({ keys, controlPlane, snapshotMembers, restored, removeNodes: args.removeNodes });
    for (const name of unknownNamedNodes(keys, args.removeNodes)) findings.push({ level: 'warn', message: `removeNodes names ${name}, which the snapshot has no Node for: nothing to remove` });
    const restoredText = restored.map((m) => `${m.name} (${m.addresses.join(', ')})`).join(', ');
    if (ghosts.length === 0) {
      findings.push({ level: 'ok', message: `no ghosts: every masterlease and control-plane Node of the snapshot belongs to the restored cluster (${restoredText})` });
      return done();
    }
    findings.push({
      level: 'info',
      message: `the restored cluster is ${restoredText}; the snapshot holds ${ghosts.length} ghost(s), removed after the verification (each API server re-creates its own lease):\n${ghosts.map((g) => `    ${g.key}: ${g.why}`).join('\n')}`,
    });

    const creds = await planCredentials(ctx, { manifest: args.manifest }, findings);
    const etcdctl = ShellCommand.join(
      [
        sh`ETCDCTL_API=3 ${args.etcdctl} --endpoints=${creds.endpoints.join(',')}`,
        ...(creds.caFile ? [sh`--cacert=${creds.caFile}`] : []),
        ...(creds.certFile ? [sh`--cert=${creds.certFile}`] : []),
        ...(creds.keyFile ? [sh`--key=${creds.keyFile}`] : []),
        sh`--command-timeout=30s`,
      ],
      ' ',
    );
    for (const ghost of ghosts) {
      let value: string | undefined;
      if (!ctx.run.dryRun) {
        const got = await ctx.probe(sh`${etcdctl} get -w json -- ${ghost.key}`, { timeoutMs: 60_000 });
        if (got.exitCode !== 0) {
          findings.push({ level: 'error', message: `cannot read ${ghost.key} from the restored etcd: ${(got.stderr || got.stdout).trim()}` });
          continue;
        }
        value = (JSON.parse(got.stdout) as { kvs?: Array<{ value?: string }> }).kvs?.[0]?.value;
        if (value === undefined) {
          findings.push({ level: 'ok', message: `${ghost.key} is gone already` });
          continue;
        }
      }
      const present = sh`v=$(${etcdctl} get -w json -- ${ghost.key}) || { echo "cannot tell: etcdctl get failed"; exit 0; }; `;
      changes.push({
        description: `remove the ghost ${ghost.kind} ${ghost.name} (${ghost.key}: ${ghost.why})`,
        command: sh`${etcdctl} del -- ${ghost.key}`,
        check: value
          ? sh`${present}case "$v" in *${`"value":"${value}"`}*) echo "reverted: "${ghost.key}" holds its value";; *'"count":'*) echo "cannot tell: "${ghost.key}" holds another value";; *) echo "applied: "${ghost.key}" is gone";; esac`
          : undefined,
        subjects: [`etcd:${ghost.key}`],
        // The value (base64, as etcd gave it) is in the journal: put back only where the key is still absent.
        undo: value
          ? {
              description: `put ${ghost.key} back with its value`,
              command: sh`v=$(${etcdctl} get -w json -- ${ghost.key}) || exit 1; case "$v" in *'"count":'*) ;; *) printf %s ${value} | base64 -d | ${etcdctl} put -- ${ghost.key} >/dev/null;; esac`,
            }
          : null,
      });
    }
    return done();
  },
};
