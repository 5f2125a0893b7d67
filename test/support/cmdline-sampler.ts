// Samples the command line of every process on the host (/proc/*/cmdline, what any
// user of the host can read) while a test runs a command, and reports every sample
// that holds a fragment of a secret. Used to prove that secrets never reach argv.

import { readdirSync, readFileSync } from 'node:fs';

export interface CmdlineHit {
  pid: number;
  cmdline: string;
  fragment: string;
}

export interface CmdlineSampling {
  /** How many sweeps over every process were taken. */
  sweeps: number;
  /** Distinct processes seen over all sweeps. */
  processes: number;
  hits: CmdlineHit[];
}

const FRAGMENT = 8;

/** Finds pieces of secrets in texts: every FRAGMENT-character window of each secret (whole secrets when shorter). */
export class FragmentFinder {
  private readonly windows = new Set<string>();
  private readonly short: string[] = [];

  constructor(secrets: string[]) {
    for (const secret of secrets) {
      if (secret.length < FRAGMENT) this.short.push(secret);
      else for (let i = 0; i + FRAGMENT <= secret.length; i++) this.windows.add(secret.slice(i, i + FRAGMENT));
    }
  }

  /** The first piece of a secret found in `text` (linear in the text's length). */
  find(text: string): string | undefined {
    for (const s of this.short) if (s !== '' && text.includes(s)) return s;
    for (let i = 0; i + FRAGMENT <= text.length; i++) {
      const window = text.slice(i, i + FRAGMENT);
      if (this.windows.has(window)) return window;
    }
    return undefined;
  }
}

function readCmdlines(): Array<{ pid: number; cmdline: string }> {
  const out: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'latin1').replace(/\0/g, ' ') });
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

/** Sweep /proc every few milliseconds until stop(); the event loop keeps running in between. */
export function sampleCmdlines(secrets: string[], intervalMs = 3): { stop(): CmdlineSampling } {
  const finder = new FragmentFinder(secrets);
  const seen = new Set<number>();
  const hits: CmdlineHit[] = [];
  let sweeps = 0;
  const sweep = () => {
    sweeps++;
    for (const { pid, cmdline } of readCmdlines()) {
      seen.add(pid);
      const fragment = finder.find(cmdline);
      if (fragment && !hits.some((h) => h.pid === pid && h.cmdline === cmdline)) hits.push({ pid, cmdline: cmdline.slice(0, 300), fragment });
    }
  };
  sweep();
  const timer = setInterval(sweep, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sweep();
      return { sweeps, processes: seen.size, hits };
    },
  };
}
