// etcd.data-dir-ready: between dir.swap and the first start of the restored etcd, make
// the restored data dir what etcd needs (data-dir-state.ts says why each): owned by the
// user etcd runs as, mode 0700, and with the old dir's SELinux context where SELinux is
// enforcing; then a stat probe checks all of it on the host and refuses to go on (the
// step fails, the run rolls back before etcd starts) when it does not hold.
// A step of its own rather than more of dir.swap: dir.swap is a generic directory swap
// (and gives the old dir's owner and mode, which is right for any dir); who etcd runs as
// is an etcd fact (layout discovery: securityContext, systemd User=), read here from the
// manifest in the stash, where static-pods.stop put it.
// Undo: the owner/mode and context the restored dir had before; checks find the dir by
// its member/'s identity, so after a rollback moved it away they say `reverted`.

import { posix } from 'node:path';
import { z } from 'zod';
import type { ActionContext, ActionDefinition, Change, Finding } from '../../core/action.js';
import { InputError } from '../../core/errors.js';
import { sh } from '../../shell/command.js';
import { askEtcdMember } from './facts.js';
import { optionalText } from '../fields.js';
import { isMountPoint } from '../core/mount-point.js';
import { ID_FUNCTION, pathSubject, probeIdentity } from '../checks.js';
import { DATA_DIR_MODE, ownerState, ownerStateProbe, selinuxEnforcing, setContextCommand, setOwnerCommand, stateCheck, wantedOwner } from './data-dir-state.js';

const schema = z.strictObject({
  /** The live data dir (after dir.swap: the restored one). */
  dataDir: z.string().min(1),
  /** The old data dir kept by dir.swap: the reference for the SELinux context. */
  keptDir: z.string().min(1),
  /** The kept old contents when dataDir is a mount point (dir.swap's mountKeepAs, inside dataDir). */
  mountKeptDir: optionalText(),
  manifest: z.string().min(1).default('/etc/kubernetes/manifests/etcd.yaml'),
  stashDir: optionalText(),
  /** uid:gid, instead of the user etcd runs as per its configuration. */
  owner: optionalText(),
});

type Args = z.infer<typeof schema>;

interface Probed {
  state?: string;
  enforce: string;
  context?: string;
  reference?: string;
}

async function probeDir(ctx: ActionContext, dataDir: string, keptDir: string, uid: number, gid: number): Promise<Probed> {
  const result = await ctx.probe(
    sh`echo "state $(${ownerStateProbe(dataDir, keptDir, uid, gid)} 2>/dev/null)"; if command -v getenforce >/dev/null 2>&1; then echo "enforce $(getenforce 2>/dev/null)"; else echo "enforce absent"; fi; echo "context $(stat -c %C -- ${dataDir} 2>/dev/null)"; echo "reference $(stat -c %C -- ${keptDir} 2>/dev/null)"`,
    { timeoutMs: 5 * 60_000 },
  );
  const line = (key: string) =>
    result.stdout
      .split('\n')
      .find((l) => l.startsWith(`${key} `))
      ?.slice(key.length + 1)
      .trim() || undefined;
  return { state: line('state'), enforce: line('enforce') ?? 'absent', context: line('context'), reference: line('reference') };
}

export const dataDirReadyAction: ActionDefinition<Args> = {
  name: 'etcd.data-dir-ready',
  summary: "Give the restored data dir the owner etcd runs as, mode 0700 and the old dir's SELinux context (when enforcing), then check it with stat before etcd starts.",
  schema,
  canSimulate: true,
  async plan(ctx, args) {
    for (const key of ['dataDir', 'keptDir'] as const) {
      if (!posix.isAbsolute(args[key])) throw new InputError([{ path: key, message: `expected an absolute path on the host, got "${args[key]}"` }]);
    }
    const dataDir = pathSubject(args.dataDir);
    const onMount = args.mountKeptDir ? await isMountPoint(ctx, dataDir) : false;
    const keptDir = pathSubject(onMount ? args.mountKeptDir! : args.keptDir);
    const findings: Finding[] = [];
    const changes: Change[] = [];

    const discovery = args.owner ? undefined : await askEtcdMember(ctx, args.manifest, args.stashDir);
    // Who etcd runs as is a fact of its configuration: unreadable, it is not guessed.
    if (discovery && !discovery.ok) return { simulated: true, changes, findings: [{ level: 'error', message: `cannot tell who etcd runs as: ${discovery.problem} (give owner uid:gid)` }] };
    const owner = wantedOwner(args.owner, discovery?.ok ? discovery.facts : undefined);
    if ('problem' in owner) return { simulated: true, changes, findings: [...findings, { level: 'error', message: owner.problem }] };
    const after = ownerState(owner.uid, owner.gid, DATA_DIR_MODE, 'ok');
    findings.push({ level: 'info', message: `etcd runs as ${owner.uid}:${owner.gid} (${owner.from}): ${dataDir} must be owned by it, mode ${DATA_DIR_MODE}` });

    const probed = await probeDir(ctx, dataDir, keptDir, owner.uid, owner.gid);
    const enforcing = selinuxEnforcing(probed.enforce);
    findings.push(
      enforcing
        ? { level: 'info', message: `SELinux is enforcing: ${dataDir} gets the context of ${keptDir} (${probed.reference ?? 'unknown yet'})` }
        : { level: 'info', message: `SELinux ${probed.enforce === 'absent' ? 'is absent (no getenforce)' : `is ${probed.enforce}`}: no context to copy` },
    );
    if (ctx.run.dryRun) findings.push({ level: 'info', message: `dry-run: ${dataDir} is still the old dir (the swap has not run); the run probes the restored one again at this step` });
    const present = probed.state !== undefined && (await ctx.transport.stat(posix.join(dataDir, 'member')))?.type === 'dir';
    if (!present && !ctx.run.dryRun) {
      return { simulated: true, changes, findings: [...findings, { level: 'error', message: `${dataDir}/member does not exist on ${ctx.host.name}: no restored data dir to prepare` }] };
    }
    const memberIdentity = present ? await probeIdentity(ctx, posix.join(dataDir, 'member')) : undefined;
    const check = (probe: ReturnType<typeof sh>, before: string, wanted: string) =>
      memberIdentity ? stateCheck({ idPrefix: sh`${ID_FUNCTION}`, dataDir, memberIdentity, probe, before, after: wanted }) : undefined;

    if (!present || probed.state !== after) {
      const before = probed.state ?? 'unknown';
      const [beforeOwner, beforeMode] = before.split(' ');
      const [bu, bg] = (beforeOwner ?? '0:0').split(':').map(Number);
      changes.push({
        description: `give ${dataDir} and what the restore wrote in it the owner ${owner.uid}:${owner.gid} and ${dataDir} mode ${DATA_DIR_MODE}${present ? ` (now ${before})` : ''}`,
        command: setOwnerCommand(dataDir, keptDir, owner.uid, owner.gid, DATA_DIR_MODE),
        check: present ? check(ownerStateProbe(dataDir, keptDir, owner.uid, owner.gid), before, after) : undefined,
        subjects: [dataDir],
        undo: present
          ? {
              description: `give ${dataDir} back its owner ${beforeOwner} and mode ${beforeMode}`,
              command: sh`${ID_FUNCTION}if [ "$(drbook_id ${posix.join(dataDir, 'member')})" = ${memberIdentity!} ]; then ${setOwnerCommand(dataDir, keptDir, bu!, bg!, beforeMode!)}; fi`,
            }
          : null,
      });
    } else {
      findings.push({ level: 'ok', message: `${dataDir} is owned by ${owner.uid}:${owner.gid}, mode ${DATA_DIR_MODE} already` });
    }

    if (enforcing && probed.reference && probed.context !== probed.reference) {
      const before = probed.context ?? 'unknown';
      changes.push({
        description: `give ${dataDir} the SELinux context of ${keptDir} (${probed.reference}; now ${before})`,
        command: setContextCommand(dataDir, keptDir, { reference: keptDir }),
        check: check(sh`stat -c %C -- ${dataDir}`, before, probed.reference),
        subjects: [dataDir],
        undo: present
          ? {
              description: `give ${dataDir} back the context ${before}`,
              command: sh`${ID_FUNCTION}if [ "$(drbook_id ${posix.join(dataDir, 'member')})" = ${memberIdentity!} ]; then ${setContextCommand(dataDir, keptDir, { context: before })}; fi`,
            }
          : null,
      });
    }

    changes.push({
      description: `stat ${dataDir} before etcd starts: owner ${owner.uid}:${owner.gid}, mode ${DATA_DIR_MODE}${enforcing ? `, context ${probed.reference ?? `of ${keptDir}`}` : ''}; refuse to start otherwise`,
      readOnly: true,
      apply: async (applyCtx) => {
        const now = await probeDir(applyCtx, dataDir, keptDir, owner.uid, owner.gid);
        const problems: string[] = [];
        if (now.state !== after) problems.push(`it is ${now.state ?? 'not there'} (owner, mode, contents), expected ${after}`);
        if (selinuxEnforcing(now.enforce) && now.context !== now.reference) problems.push(`its SELinux context is ${now.context}, the old dir's ${now.reference}`);
        if (problems.length) throw new Error(`${dataDir} on ${applyCtx.host.name} is not ready for etcd: ${problems.join('; ')}; etcd is not started on it`);
        applyCtx.log(`${dataDir}: ${now.state}${selinuxEnforcing(now.enforce) ? `, ${now.context}` : ''}`);
      },
    });
    return { simulated: true, findings, changes };
  },
};
