// Where the etcd command's flags are in a static pod manifest's text, line by line, as
// kubeadm writes them:
//     - command:
//       - etcd
//       - --advertise-client-urls=...
// so that the quota flag can be set without re-serialising (and reformatting) the rest.

export interface FlagLines {
  /** The `- etcd` line's index. */
  commandLine: number;
  /** The indices of the `- --flag` lines that follow it. */
  flagLines: number[];
  /** The indentation of those items. */
  indent: string;
}

export function parseManifestFlagLines(lines: string[]): FlagLines {
  const commandLine = lines.findIndex((l) => /^\s*-\s+"?etcd"?\s*$/.test(l));
  if (commandLine < 0) throw new Error('no `- etcd` item in a command list: drbook edits only manifests that list the command one item per line, as kubeadm writes them');
  const indent = /^(\s*)-/.exec(lines[commandLine]!)![1]!;
  const flagLines: number[] = [];
  for (let i = commandLine + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith(`${indent}- `)) break;
    if (!/^\s*- "?--/.test(line)) throw new Error(`line ${i + 1} of the etcd command is not a --flag item: drbook does not rewrite it`);
    flagLines.push(i);
  }
  return { commandLine, flagLines, indent };
}
