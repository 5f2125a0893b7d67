// The sandbox's certificates, laid out like kubeadm's /etc/kubernetes/pki, made with the
// openssl CLI (the tool an operator would use, and no npm dependency). One etcd CA and
// one kubernetes CA shared by every node, as kubeadm does; every node has its own
// serving/peer/client pairs. EC P-256 keys: generating them takes milliseconds, and this
// runs in every end-to-end test. Each certificate is one `openssl req -x509 -CA` call
// (key + signed cert at once), and independent calls run in parallel.

import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { DrbookError } from '../errors.js';
import { API_SERVER_PORT, pathsOfNode, type SandboxNode } from './layout.js';

const CA_DAYS = 3650;
const LEAF_DAYS = 365; // kubeadm's own default

interface CertSpec {
  /** Files written: <base>.crt and <base>.key */
  base: string;
  subject: string;
  /** The CA that signs it; undefined = self-signed CA. */
  ca?: { crt: string; key: string };
  extendedKeyUsage?: 'serverAuth' | 'clientAuth' | 'serverAuth,clientAuth';
  sans?: string[];
  days: number;
}

async function issueCertificate(spec: CertSpec): Promise<void> {
  const isCa = spec.ca === undefined;
  const args = [
    'req', '-x509', '-config', '/dev/null', // no site config: only the extensions given here
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${spec.base}.key`, '-out', `${spec.base}.crt`,
    '-days', String(spec.days), '-subj', spec.subject,
  ];
  if (isCa) {
    args.push('-addext', 'basicConstraints=critical,CA:TRUE');
    args.push('-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign');
  } else {
    args.push('-CA', spec.ca!.crt, '-CAkey', spec.ca!.key);
    args.push('-addext', 'basicConstraints=critical,CA:FALSE');
    args.push('-addext', 'keyUsage=critical,digitalSignature,keyEncipherment');
    if (spec.extendedKeyUsage) args.push('-addext', `extendedKeyUsage=${spec.extendedKeyUsage}`);
    if (spec.sans?.length) args.push('-addext', `subjectAltName=${spec.sans.join(',')}`);
  }
  const result = await execa('openssl', args, { reject: false });
  if (result.failed) {
    throw new DrbookError('internal', `openssl could not issue ${spec.base}.crt (${spec.subject}): ${result.stderr || result.message}`, {
      hint: 'is the openssl CLI (3.x) installed?',
    });
  }
  await chmod(`${spec.base}.key`, 0o600);
}

function sansOfNode(node: SandboxNode, extra: string[] = []): string[] {
  return [`IP:${node.ip}`, 'IP:127.0.0.1', 'DNS:localhost', `DNS:${node.name}`, ...extra.map((name) => `DNS:${name}`)];
}

async function copyPair(fromBase: string, toBase: string): Promise<void> {
  await copyFile(`${fromBase}.crt`, `${toBase}.crt`);
  await copyFile(`${fromBase}.key`, `${toBase}.key`);
  await chmod(`${toBase}.key`, 0o600);
}

/** The leaf certificates of one node (its CAs must already be in place). */
function specsOfNode(node: SandboxNode): CertSpec[] {
  const { pkiDir, etcdPkiDir } = pathsOfNode(node.root);
  const etcdCa = { crt: join(etcdPkiDir, 'ca.crt'), key: join(etcdPkiDir, 'ca.key') };
  const kubeCa = { crt: join(pkiDir, 'ca.crt'), key: join(pkiDir, 'ca.key') };
  const days = LEAF_DAYS;
  return [
    { base: join(etcdPkiDir, 'server'), subject: `/CN=${node.name}`, ca: etcdCa, extendedKeyUsage: 'serverAuth,clientAuth', sans: sansOfNode(node), days },
    { base: join(etcdPkiDir, 'peer'), subject: `/CN=${node.name}`, ca: etcdCa, extendedKeyUsage: 'serverAuth,clientAuth', sans: sansOfNode(node), days },
    { base: join(etcdPkiDir, 'healthcheck-client'), subject: '/O=system:masters/CN=kube-etcd-healthcheck-client', ca: etcdCa, extendedKeyUsage: 'clientAuth', days },
    { base: join(pkiDir, 'apiserver-etcd-client'), subject: '/O=system:masters/CN=kube-apiserver-etcd-client', ca: etcdCa, extendedKeyUsage: 'clientAuth', days },
    {
      base: join(pkiDir, 'apiserver'), subject: '/CN=kube-apiserver', ca: kubeCa, extendedKeyUsage: 'serverAuth',
      sans: sansOfNode(node, ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc']), days,
    },
    // kubeadm keeps the admin pair only inside admin.conf; the sandbox also keeps it
    // beside the others so admin.conf can be rewritten (writeAdminKubeconfig).
    { base: join(pkiDir, 'admin'), subject: '/O=system:masters/CN=kubernetes-admin', ca: kubeCa, extendedKeyUsage: 'clientAuth', days },
  ];
}

/**
 * Writes every node's etc/kubernetes/pki (and pki/etcd) and its admin.conf.
 * `dir` is the sandbox folder; the CAs are made once in a work folder there, copied to
 * every node, then the work folder is removed.
 */
export async function generateSandboxPki(dir: string, nodes: SandboxNode[]): Promise<void> {
  const work = join(dir, '.pki-work');
  await mkdir(work, { recursive: true, mode: 0o700 });
  try {
    const etcdCa = join(work, 'etcd-ca');
    const kubeCa = join(work, 'ca');
    await Promise.all([
      issueCertificate({ base: etcdCa, subject: '/CN=etcd-ca', days: CA_DAYS }),
      issueCertificate({ base: kubeCa, subject: '/CN=kubernetes', days: CA_DAYS }),
    ]);
    await Promise.all(
      nodes.map(async (node) => {
        const { pkiDir, etcdPkiDir } = pathsOfNode(node.root);
        await mkdir(etcdPkiDir, { recursive: true, mode: 0o755 });
        await copyPair(etcdCa, join(etcdPkiDir, 'ca'));
        await copyPair(kubeCa, join(pkiDir, 'ca'));
      }),
    );
    await Promise.all(nodes.flatMap((node) => specsOfNode(node).map(issueCertificate)));
    await Promise.all(nodes.map((node) => writeAdminKubeconfig(node.root, node.ip)));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * <node>/etc/kubernetes/admin.conf: server https://<ip>:6443, the kubernetes CA and the
 * admin client pair (CN kubernetes-admin, O system:masters) embedded as base64, the way
 * kubeadm writes it. Returns the file's path. Mode 0600: it holds a private key.
 */
export async function writeAdminKubeconfig(nodeRoot: string, ip: string): Promise<string> {
  const { pkiDir, kubeconfig } = pathsOfNode(nodeRoot);
  const [ca, cert, key] = await Promise.all(
    ['ca.crt', 'admin.crt', 'admin.key'].map((file) => readFile(join(pkiDir, file))),
  );
  const b64 = (data: Buffer) => data.toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kubernetes', cluster: { 'certificate-authority-data': b64(ca), server: `https://${ip}:${API_SERVER_PORT}` } }],
    contexts: [{ name: 'kubernetes-admin@kubernetes', context: { cluster: 'kubernetes', user: 'kubernetes-admin' } }],
    'current-context': 'kubernetes-admin@kubernetes',
    preferences: {},
    users: [{ name: 'kubernetes-admin', user: { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) } }],
  };
  await writeFile(kubeconfig, stringify(config), { mode: 0o600 });
  await chmod(kubeconfig, 0o600);
  return kubeconfig;
}
