// Which etcd endpoints and cert files an action uses, shown in its plan: explicit
// args > ETCDCTL_* environment > the host's etcd manifest > kubeadm defaults. A cert
// file missing on the host is an error finding, so the run stops before any change.

import type { ActionContext, Finding } from '../../core/action.js';
import { describeCredentials, findMissingCredentialFiles, resolveEtcdCredentials, type CredentialArgs, type EtcdCredentialPlan } from '../../etcd/client.js';
import { etcdManifestFact } from './facts.js';

/** Credentials from args, ETCDCTL_* and the host's manifest (when it is readable). */
export async function planCredentials(ctx: ActionContext, args: CredentialArgs & { manifest: string }, findings: Finding[]): Promise<EtcdCredentialPlan> {
  let hints = {};
  try {
    const found = await ctx.facts.get(etcdManifestFact, { path: args.manifest });
    if (found) hints = { advertiseClientUrls: found.manifest.values.advertiseClientUrls, trustedCaFile: found.manifest.values.trustedCaFile };
  } catch (error) {
    findings.push({ level: 'warn', message: `${(error as Error).message} (using the defaults instead)` });
  }
  const plan = await resolveEtcdCredentials(ctx.transport, args, hints);
  findings.push({ level: 'info', message: describeCredentials(plan) });
  const missing = await findMissingCredentialFiles(ctx.transport, plan);
  if (missing.length) findings.push({ level: 'error', message: `missing on ${ctx.host.name}: ${missing.join(', ')} (give caFile/certFile/keyFile, or set ETCDCTL_CACERT/ETCDCTL_CERT/ETCDCTL_KEY)` });
  return plan;
}
