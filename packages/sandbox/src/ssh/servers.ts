// The sandbox's SSH servers, one per node: started by `sandbox up --ssh`, stopped by
// `sandbox down` by their recorded PIDs. A node whose sshd was killed -9 may leave
// per-connection processes behind, reparented away from that PID; they are found by the
// socket they still hold on the node's address and SSH port (see socket-holders.ts).

import { existsSync, readFileSync } from 'node:fs';
import { parentOf, readCmdline } from '../processes.js';
import { isProcessAlive } from '@drbook/system';
import { sshFilesOfNode, type NodeSshdInfo } from './files.js';
import { findSocketHolders } from './socket-holders.js';
import { isSshdOf, launchSshd, stopProcessTree } from './sshd-process.js';

/** Starts a node's sshd (detached: it outlives `sandbox up`); resolves with its PID once it listens. */
export async function startNodeSshd(nodeName: string, server: NodeSshdInfo): Promise<number> {
  const { pid } = await launchSshd({ configFile: server.configFile, logFile: server.logFile, detached: true, label: nodeName });
  return pid;
}

/** What a node's sshd is, from sandbox.json or, when that is lost, from the node's own files. */
function serverOf(root: string, recorded: NodeSshdInfo | undefined): { configFile: string; address?: string; port?: number; pid?: number } | undefined {
  const own = sshFilesOfNode(root);
  const configFile = recorded?.configFile ?? own.configFile;
  if (!recorded && !existsSync(configFile)) return undefined;
  let address = recorded?.address;
  let port = recorded?.port;
  if (address === undefined || port === undefined) {
    const listen = /^ListenAddress\s+([\d.]+):(\d+)\s*$/m.exec(readText(configFile));
    if (listen) [address, port] = [listen[1]!, Number(listen[2])];
  }
  const fromPidFile = Number(readText(own.pidFile).trim()) || undefined;
  return { configFile, address, port, pid: recorded?.pid ?? fromPidFile };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export interface SshdStopReport {
  /** Server and session PIDs that were alive and are now stopped. */
  stopped: number[];
  stillAlive: number[];
}

/**
 * Stops the sshd of each node root (and every process it forked), plus any sshd process
 * still holding a socket on a node's SSH address. Signals only PIDs that /proc shows to
 * be that sshd (config path in its command line) or an sshd holding that socket.
 */
export async function stopSandboxSshds(roots: string[], recorded: Map<string, NodeSshdInfo>): Promise<SshdStopReport> {
  const targets = new Set<number>();
  for (const root of roots) {
    const server = serverOf(root, recorded.get(root));
    if (!server) continue;
    if (server.pid && isSshdOf(server.pid, server.configFile)) targets.add(server.pid);
    if (server.address && server.port) {
      for (const pid of findSocketHolders(server.address, server.port)) if (isOurs(pid, server.configFile)) targets.add(pid);
    }
  }
  if (targets.size === 0) return { stopped: [], stillAlive: [] };
  return stopProcessTree([...targets]);
}

/**
 * An sshd holding a socket on this node's address is ours when it runs our config, or
 * when it is an orphaned session (its parent is no sshd). A session whose parent is
 * another live sshd belongs to another sandbox that took the same addresses after this
 * one crashed: never touched.
 */
function isOurs(pid: number, configFile: string): boolean {
  const cmdline = (readCmdline(pid) ?? []).join(' ');
  if (!isProcessAlive(pid) || !/sshd/.test(cmdline)) return false;
  if (cmdline.includes(configFile)) return true;
  if (/ -f /.test(cmdline)) return false; // a listener started with another config
  const parent = parentOf(pid);
  return !(parent && parent > 1 && isProcessAlive(parent) && /sshd/.test((readCmdline(parent) ?? []).join(' ')));
}

/** Is the node's recorded sshd running? */
export function sshdAlive(server: NodeSshdInfo | undefined): boolean {
  return server?.pid !== undefined && isSshdOf(server.pid, server.configFile);
}
