// Shared by the sandbox's end-to-end tests: a temp folder per test, and a cleanup that
// runs even when the test fails: `sandbox down`, then SIGKILL to every PID the test saw
// that is still alive and still belongs to this sandbox (never by name).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { pathsOfNode, readCmdline, sandboxDown } from '@drbook/sandbox';
import { isProcessAlive } from '@drbook/system';

export interface SandboxFixture {
  dir: string;
  /** Remember a PID so the cleanup can make sure it is gone. */
  track(pid: number | undefined): void;
}

export async function useSandboxDir(t: { after(fn: () => Promise<void>): void }): Promise<SandboxFixture> {
  const base = await mkdtemp(join(tmpdir(), 'drbook-sbx-'));
  const dir = join(base, 'sbx');
  const pids = new Set<number>();
  t.after(async () => {
    // A test that already tore it down (or never brought it up) leaves nothing for down to do; the PID sweep below still runs.
    await sandboxDown({ dir }).catch(() => undefined);
    for (const pid of pids) {
      const cmdline = readCmdline(pid)?.join(' ') ?? '';
      if (isProcessAlive(pid) && cmdline.includes(dir)) process.kill(pid, 'SIGKILL');
    }
    await rm(base, { recursive: true, force: true });
  });
  return { dir, track: (pid) => pid && pids.add(pid) };
}

export function etcdctlFor(root: string, ip: string | string[], withClientCert = true): (args: string[]) => Promise<{ exitCode?: number; stdout: string; stderr: string }> {
  const p = pathsOfNode(root);
  const tls = [`--cacert=${p.etcdPkiDir}/ca.crt`, ...(withClientCert ? [`--cert=${p.etcdPkiDir}/healthcheck-client.crt`, `--key=${p.etcdPkiDir}/healthcheck-client.key`] : [])];
  return (args) =>
    execa(
      'etcdctl',
      [
        `--endpoints=${[ip]
          .flat()
          .map((a) => `https://${a}:2379`)
          .join(',')}`,
        ...tls,
        '--dial-timeout=2s',
        '--command-timeout=5s',
        ...args,
      ],
      { env: { ETCDCTL_API: '3' }, reject: false },
    );
}

export async function crictl(root: string, args: string[]): Promise<{ exitCode?: number; stdout: string; stderr: string }> {
  return execa(pathsOfNode(root).crictl, args, { reject: false });
}
