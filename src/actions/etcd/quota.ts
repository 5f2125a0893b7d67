// etcd.quota: before the restored etcd's first start, make sure its --quota-backend-bytes
// holds the snapshot (quota-edit.ts says why and how much). The manifest is in the stash
// at that moment (static-pods.stop moved it there, static-pods.start moves it back), so
// the stashed etcd.yaml is edited: one flag line set or inserted, every other byte kept.
// The original is kept byte-identical beside it (<stash>/etcd.yaml.before-quota) and in
// the journal (the undo writes it back from there, wherever the edited file is by then:
// the stash or the manifests folder). After a good restore the raised quota stays: the
// restored db needs it (a `kubeadm upgrade` regenerates etcd.yaml: set
// etcd.local.extraArgs quota-backend-bytes in the ClusterConfiguration too; the plan says so).

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { z } from 'zod';
import type { ActionDefinition, Change, Finding } from '../../core/action.js';
import { sh } from '../../shell/command.js';
import { errorMessage } from '../../core/errors.js';
import { parseEtcdManifest } from '../../etcd/manifest.js';
import { askEtcdMember, etcdManifestFact } from './facts.js';
import { optionalText } from '../fields.js';
import { ID_FUNCTION, pathSubject } from '../checks.js';
import { RECOMMENDED_MAX_QUOTA, decideQuota, fmt, setQuotaFlag } from './quota-edit.js';

const schema = z.strictObject({
  snapshot: z.string().min(1),
  manifest: z.string().min(1).default('/etc/kubernetes/manifests/etcd.yaml'),
  /** Where static-pods.stop moved the manifests (the edit is made there). */
  stashDir: optionalText(),
});

type Args = z.infer<typeof schema>;

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export const quotaAction: ActionDefinition<Args> = {
  name: 'etcd.quota',
  summary: 'Give the restored etcd a --quota-backend-bytes that holds the snapshot on its first start (the stashed manifest edited, the original kept).',
  schema,
  canSimulate: true,
  async plan(ctx, args) {
    const findings: Finding[] = [];
    const changes: Change[] = [];
    const result = () => ({ simulated: true, findings, changes });
    const snapshot = await ctx.transport.stat(args.snapshot);
    if (!snapshot) {
      findings.push({
        level: ctx.run.dryRun ? 'warn' : 'error',
        message: `${args.snapshot} does not exist on ${ctx.host.name}${ctx.run.dryRun ? ' (unless an earlier step puts it there)' : ''}: cannot size the quota`,
      });
      return result();
    }
    const discovery = await askEtcdMember(ctx, args.manifest, args.stashDir);
    if (!discovery.ok) {
      findings.push({ level: 'error', message: discovery.problem });
      return result();
    }
    const facts = discovery.facts;
    const decision = decideQuota(facts.quota, snapshot.size);
    findings.push({ level: decision.change ? 'warn' : 'ok', message: decision.reason });
    if (!decision.change) return result();
    if (decision.bytes > RECOMMENDED_MAX_QUOTA)
      findings.push({ level: 'warn', message: `${fmt(decision.bytes)} is above etcd's recommended maximum of 8 GiB: compact and defragment after the restore` });

    const found = await ctx.facts.get(etcdManifestFact, { path: args.manifest, stashDir: args.stashDir });
    if (!found || facts.layout === 'systemd' || facts.layout === 'rke2') {
      findings.push({
        level: 'error',
        message: `etcd is configured by ${facts.configuredBy}: drbook edits only a kubeadm-style static pod's command; set quota-backend-bytes to ${decision.bytes} there by hand before the restore`,
      });
      return result();
    }
    const folderFile = args.manifest;
    const target = args.stashDir ? posix.join(args.stashDir, posix.basename(args.manifest)) : args.manifest;
    const backup = `${target}.before-quota`;
    const original = found.bytes;
    let edited: string;
    try {
      edited = setQuotaFlag(original.toString('utf8'), decision.bytes);
      const check = parseEtcdManifest(edited, target, ctx.host.name);
      const before = found.manifest.flags;
      const changed = Object.keys({ ...before, ...check.flags }).filter((k) => before[k] !== check.flags[k]);
      if (check.flags['quota-backend-bytes'] !== String(decision.bytes) || changed.some((k) => k !== 'quota-backend-bytes')) throw new Error(`the edit would change ${changed.join(', ')}`);
    } catch (error) {
      findings.push({ level: 'error', message: `cannot set --quota-backend-bytes in ${found.manifest.file}: ${errorMessage(error)}; set it to ${decision.bytes} by hand` });
      return result();
    }
    const [origSha, newSha] = [sha(original), sha(edited)];
    const tmp = posix.join(posix.dirname(target), `.${posix.basename(target)}.drbook-quota`);
    /** Write `b64` to `path` through a dot-file beside it (the kubelet ignores dot-files), with the mode `path` has. */
    const put = (b64: string, path: string) => sh`printf %s ${b64} | base64 -d > ${tmp} && chmod --reference=${path} -- ${tmp} && mv -- ${tmp} ${path}`;
    const places = [...new Set([target, folderFile])];
    findings.push({
      level: 'info',
      message: `the manifest keeps the raised quota after the restore (the restored db needs it); the original is kept as ${backup}. A later \`kubeadm upgrade\` rewrites etcd.yaml: give etcd.local.extraArgs quota-backend-bytes: "${decision.bytes}" in the ClusterConfiguration too`,
    });
    changes.push({
      description: `set --quota-backend-bytes=${decision.bytes} in ${target} for the first start (the original kept as ${backup})`,
      command: sh`${ID_FUNCTION}[ "$(drbook_id ${target})" = ${`sha256 ${origSha}`} ] || { echo "drbook: "${target}" is not the manifest the plan read" >&2; exit 1; }; cp -p -- ${target} ${backup} && ${put(Buffer.from(edited).toString('base64'), target)}`,
      check: sh`${ID_FUNCTION}v=""; for p in ${places}; do v="$v $(drbook_id "$p")"; done; case "$v" in *${`sha256 ${newSha}`}*) echo "applied: the manifest has --quota-backend-bytes="${String(decision.bytes)};; *${`sha256 ${origSha}`}*) echo "reverted: the manifest is the original";; *) echo "cannot tell: the manifest is neither the original nor the edited one ($v)";; esac`,
      subjects: [pathSubject(target), pathSubject(backup)],
      undo: {
        description: `put the original etcd.yaml back (byte-identical) wherever the edited one is, and remove ${backup}`,
        command: sh`${ID_FUNCTION}for p in ${places}; do if [ "$(drbook_id "$p")" = ${`sha256 ${newSha}`} ]; then printf %s ${original.toString('base64')} | base64 -d > ${tmp} && chmod --reference="$p" -- ${tmp} && mv -- ${tmp} "$p"; fi; done; if [ "$(drbook_id ${backup})" = ${`sha256 ${origSha}`} ]; then rm -f -- ${backup}; fi`,
      },
    });
    return result();
  },
};
