// The sandbox's certificates, laid out like kubeadm's /etc/kubernetes/pki, made with the
// openssl CLI (the tool an operator would use, and no npm dependency). What kubeadm
// shares between masters (`kubeadm join --control-plane --certificate-key` downloads
// them) is made once: the etcd CA, the kubernetes CA, the front-proxy CA and the
// service-account key pair. Every master has its own serving, peer and client pairs,
// and every node (workers too) its kubelet client pair. The client pairs of the
// kubeconfig files are embedded there, as kubeadm does (kubeconfig.ts).
// Deviation: EC P-256 keys instead of kubeadm's RSA 2048 (generating them takes
// milliseconds, and this runs in every end-to-end test). Each certificate is one
// `openssl req -x509 -CA` call (key + signed cert at once); independent calls run in parallel.

import { generateKeyPairSync } from 'node:crypto';
import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { SandboxError } from './errors.js';
import { pathsOfNode, type SandboxNode } from './layout.js';
import { writeNodeKubeconfigs, writeWorkerKubeconfig, type ClientPairs } from './kubeconfig.js';

const CA_DAYS = 3650;
const LEAF_DAYS = 365; // kubeadm's own default
/** The first address of kubeadm's default service subnet (10.96.0.0/12): the `kubernetes` Service. */
const KUBERNETES_SERVICE_IP = '10.96.0.1';

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
    'req',
    '-x509',
    '-config',
    '/dev/null', // no site config: only the extensions given here
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${spec.base}.key`,
    '-out',
    `${spec.base}.crt`,
    '-days',
    String(spec.days),
    '-subj',
    spec.subject,
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
    throw new SandboxError('internal', `openssl could not issue ${spec.base}.crt (${spec.subject}): ${result.stderr || result.message}`, {
      hint: 'is the openssl CLI (3.x) installed?',
    });
  }
  await chmod(`${spec.base}.key`, 0o600);
}

/** kubeadm's etcd server and peer SANs: the node's name and address, and its localhost. */
function sansOfNode(node: SandboxNode, extra: string[] = []): string[] {
  return [`IP:${node.ip}`, 'IP:127.0.0.1', 'DNS:localhost', `DNS:${node.name}`, ...extra];
}

async function copyPair(fromBase: string, toBase: string): Promise<void> {
  await copyFile(`${fromBase}.crt`, `${toBase}.crt`);
  await copyFile(`${fromBase}.key`, `${toBase}.key`);
  await chmod(`${toBase}.key`, 0o600);
}

interface SharedCas {
  etcd: { crt: string; key: string };
  kube: { crt: string; key: string };
  frontProxy: { crt: string; key: string };
}

/** The serving and client pairs that live in a master's pki folder. */
function specsOfMaster(node: SandboxNode, cas: SharedCas): CertSpec[] {
  const { pkiDir, etcdPkiDir } = pathsOfNode(node.root);
  const days = LEAF_DAYS;
  return [
    { base: join(etcdPkiDir, 'server'), subject: `/CN=${node.name}`, ca: cas.etcd, extendedKeyUsage: 'serverAuth,clientAuth', sans: sansOfNode(node), days },
    { base: join(etcdPkiDir, 'peer'), subject: `/CN=${node.name}`, ca: cas.etcd, extendedKeyUsage: 'serverAuth,clientAuth', sans: sansOfNode(node), days },
    { base: join(etcdPkiDir, 'healthcheck-client'), subject: '/CN=kube-etcd-healthcheck-client', ca: cas.etcd, extendedKeyUsage: 'clientAuth', days },
    { base: join(pkiDir, 'apiserver-etcd-client'), subject: '/CN=kube-apiserver-etcd-client', ca: cas.etcd, extendedKeyUsage: 'clientAuth', days },
    {
      base: join(pkiDir, 'apiserver'),
      subject: '/CN=kube-apiserver',
      ca: cas.kube,
      extendedKeyUsage: 'serverAuth',
      days,
      sans: [
        `IP:${node.ip}`,
        `IP:${KUBERNETES_SERVICE_IP}`,
        'IP:127.0.0.1',
        'DNS:localhost',
        `DNS:${node.name}`,
        ...['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'].map((name) => `DNS:${name}`),
      ],
    },
    { base: join(pkiDir, 'apiserver-kubelet-client'), subject: '/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client', ca: cas.kube, extendedKeyUsage: 'clientAuth', days },
    { base: join(pkiDir, 'front-proxy-client'), subject: '/CN=front-proxy-client', ca: cas.frontProxy, extendedKeyUsage: 'clientAuth', days },
    // kubeadm keeps the admin pair only inside admin.conf; the sandbox also keeps it
    // beside the others, for its own readiness probes (health.ts) and tests.
    { base: join(pkiDir, 'admin'), subject: '/O=kubeadm:cluster-admins/CN=kubernetes-admin', ca: cas.kube, extendedKeyUsage: 'clientAuth', days },
  ];
}

/** The client pairs embedded in a node's kubeconfig files, issued in the work folder. */
function clientPairsOf(node: SandboxNode, work: string, cas: SharedCas, role: 'init' | 'master' | 'worker'): { pairs: ClientPairs; specs: CertSpec[] } {
  const base = (what: string) => join(work, `${node.name}-${what}`);
  const client = (what: string, subject: string): CertSpec => ({ base: base(what), subject, ca: cas.kube, extendedKeyUsage: 'clientAuth', days: LEAF_DAYS });
  const specs = [client('kubelet', `/O=system:nodes/CN=system:node:${node.name}`)];
  const pairs: ClientPairs = { kubelet: base('kubelet') };
  if (role !== 'worker') {
    specs.push(client('controller-manager', '/CN=system:kube-controller-manager'), client('scheduler', '/CN=system:kube-scheduler'));
    pairs.controllerManager = base('controller-manager');
    pairs.scheduler = base('scheduler');
  }
  if (role === 'init') {
    specs.push(client('super-admin', '/O=system:masters/CN=kubernetes-super-admin'));
    pairs.superAdmin = base('super-admin');
  }
  return { pairs, specs };
}

/** sa.key and sa.pub: the service-account token signing pair, shared by every master. */
async function writeServiceAccountKeys(nodes: SandboxNode[]): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const pub = publicKey.export({ type: 'spki', format: 'pem' });
  await Promise.all(
    nodes.map(async (node) => {
      const { pkiDir } = pathsOfNode(node.root);
      await writeFile(join(pkiDir, 'sa.key'), key, { mode: 0o600 });
      await writeFile(join(pkiDir, 'sa.pub'), pub, { mode: 0o644 });
    }),
  );
}

/**
 * Writes every master's etc/kubernetes/pki (and pki/etcd) and kubeconfig files, and
 * every worker's pki/ca.crt and kubelet.conf. `dir` is the sandbox folder; the CAs and
 * the embedded client pairs are made in a work folder there, which is removed at the end.
 * The first master is the one `kubeadm init` ran on (it alone has super-admin.conf).
 */
export async function generateSandboxPki(dir: string, masters: SandboxNode[], workers: SandboxNode[] = []): Promise<void> {
  if (workers.length > 0 && masters.length === 0) throw new SandboxError('internal', 'sandbox pki: workers need a master to join');
  const work = join(dir, '.pki-work');
  await mkdir(work, { recursive: true, mode: 0o700 });
  try {
    const pair = (name: string) => ({ crt: join(work, `${name}.crt`), key: join(work, `${name}.key`) });
    const cas: SharedCas = { etcd: pair('etcd-ca'), kube: pair('ca'), frontProxy: pair('front-proxy-ca') };
    await Promise.all([
      issueCertificate({ base: join(work, 'etcd-ca'), subject: '/CN=etcd-ca', days: CA_DAYS }),
      issueCertificate({ base: join(work, 'ca'), subject: '/CN=kubernetes', days: CA_DAYS }),
      issueCertificate({ base: join(work, 'front-proxy-ca'), subject: '/CN=front-proxy-ca', days: CA_DAYS }),
    ]);
    const strip = (file: string) => file.replace(/\.crt$/, '');
    await Promise.all([
      ...masters.map(async (node) => {
        const { pkiDir, etcdPkiDir } = pathsOfNode(node.root);
        await mkdir(etcdPkiDir, { recursive: true, mode: 0o755 });
        await copyPair(strip(cas.etcd.crt), join(etcdPkiDir, 'ca'));
        await copyPair(strip(cas.kube.crt), join(pkiDir, 'ca'));
        await copyPair(strip(cas.frontProxy.crt), join(pkiDir, 'front-proxy-ca'));
      }),
      // A kubeadm worker has the cluster CA's certificate only.
      ...workers.map(async (node) => {
        const { pkiDir } = pathsOfNode(node.root);
        await mkdir(pkiDir, { recursive: true, mode: 0o755 });
        await copyFile(cas.kube.crt, join(pkiDir, 'ca.crt'));
      }),
    ]);
    await writeServiceAccountKeys(masters);
    const clients = [
      ...masters.map((node, i) => ({ node, ...clientPairsOf(node, work, cas, i === 0 ? 'init' : 'master') })),
      ...workers.map((node) => ({ node, ...clientPairsOf(node, work, cas, 'worker') })),
    ];
    await Promise.all([...masters.flatMap((node) => specsOfMaster(node, cas)), ...clients.flatMap((c) => c.specs)].map(issueCertificate));
    await Promise.all([
      ...masters.map((node, i) => writeNodeKubeconfigs(node, clients[i]!.pairs, i === 0 ? undefined : masters[0])),
      ...workers.map((node, i) => writeWorkerKubeconfig(node, clients[masters.length + i]!.pairs, masters[0]!)),
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
