// Is a sandbox node serving? Asked over HTTPS with the node's own certificates, the way
// a health checker on a kubeadm master would: etcd's /health with the
// healthcheck-client pair (etcd refuses clients without a cert signed by its CA), and
// the API server's /readyz with the admin pair. No process is spawned per probe.

import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_SERVER_PORT, ETCD_CLIENT_PORT, pathsOfNode, type SandboxNode } from './layout.js';

export interface ProbeResult {
  ok: boolean;
  /** What was wrong, when not ok. */
  detail?: string;
}

interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

function getOverTls(url: string, files: TlsFiles, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let tls: { ca: Buffer; cert: Buffer; key: Buffer };
    try {
      tls = { ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key) };
    } catch (error) {
      reject(error);
      return;
    }
    const req = request(url, { ...tls, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function probeEtcdHealth(node: SandboxNode, timeoutMs = 2000): Promise<ProbeResult> {
  const { etcdPkiDir } = pathsOfNode(node.root);
  const files = { ca: join(etcdPkiDir, 'ca.crt'), cert: join(etcdPkiDir, 'healthcheck-client.crt'), key: join(etcdPkiDir, 'healthcheck-client.key') };
  try {
    const { status, body } = await getOverTls(`https://${node.ip}:${ETCD_CLIENT_PORT}/health`, files, timeoutMs);
    const healthy = status === 200 && /"health"\s*:\s*"?true/.test(body);
    return healthy ? { ok: true } : { ok: false, detail: `HTTP ${status}: ${body.trim().slice(0, 200)}` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

export async function probeApiServerReady(node: SandboxNode, timeoutMs = 2000): Promise<ProbeResult> {
  const { pkiDir } = pathsOfNode(node.root);
  const files = { ca: join(pkiDir, 'ca.crt'), cert: join(pkiDir, 'admin.crt'), key: join(pkiDir, 'admin.key') };
  try {
    const { status, body } = await getOverTls(`https://${node.ip}:${API_SERVER_PORT}/readyz`, files, timeoutMs);
    return status === 200 ? { ok: true } : { ok: false, detail: `HTTP ${status}: ${body.trim().slice(0, 200)}` };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

/** Probes until ok or the deadline; returns the last result. */
export async function waitForProbe(probe: () => Promise<ProbeResult>, timeoutMs: number, intervalMs = 250): Promise<ProbeResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result.ok || Date.now() + intervalMs > deadline) return result;
    await sleep(intervalMs);
  }
}
