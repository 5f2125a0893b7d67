// Files through shell commands, used with `become`: SFTP runs as the login user, but a
// restore reads and writes root's files, so every file operation goes through sudo
// like the commands do. Data travels on the exec channel's stdin/stdout, unencoded.

import { randomBytes } from 'node:crypto';
import { DrbookError } from '../../core/errors.js';
import { quoteArg } from '@drbook/system';
import { fileInfoFromMode, tempNameFor, type FilesHost, type RemoteFiles, type ScriptResult } from './remote-files.js';

export function createShellFiles(host: FilesHost): RemoteFiles {
  const check = (op: string, path: string, result: ScriptResult): ScriptResult => {
    if (result.code === 0) return result;
    const reason = result.stderr.trim().split('\n').pop() || `exit code ${result.code}`;
    throw new DrbookError('step', `cannot ${op} ${path}: ${reason}`, { host: host.hostName });
  };
  const q = quoteArg;
  return {
    stat: async (path) => {
      // %f is the raw st_mode in hex; without -L, stat looks at a symlink itself (lstat).
      const script = `if [ -e ${q(path)} ] || [ -L ${q(path)} ]; then stat -c '%f %u %g %s' -- ${q(path)}; else echo missing; fi`;
      const out = check('stat', path, await host.runScript(script))
        .stdout.toString()
        .trim();
      if (out === 'missing') return null;
      const [mode, uid, gid, size] = out.split(' ');
      return fileInfoFromMode(parseInt(mode!, 16), Number(uid), Number(gid), Number(size));
    },

    readFile: async (path) => check('read', path, await host.runScript(`cat -- ${q(path)}`)).stdout,

    readDir: async (path) => {
      const script = `[ -d ${q(path)} ] || { echo "not a directory" >&2; exit 1; }; find ${q(path)} -mindepth 1 -maxdepth 1 -printf '%f\\0'`;
      const out = check('list', path, await host.runScript(script)).stdout.toString();
      return out.split('\0').filter((name) => name !== '');
    },

    writeFile: async (path, data, mode) => {
      const temp = tempNameFor(path, randomBytes(6).toString('hex'));
      const script = [
        'umask 077',
        `t=${q(temp)}`,
        `if cat > "$t" && chmod ${octal(mode)} -- "$t" && { sync -- "$t" 2>/dev/null || :; } && mv -f -- "$t" ${q(path)}; then exit 0; fi`,
        'rm -f -- "$t"; exit 1',
      ].join('\n');
      check('write', path, await host.runScript(script, { stdin: data }));
    },

    upload: async (source, path, mode) => {
      const script = `umask 077; cat > ${q(path)} && chmod ${octal(mode)} -- ${q(path)} && { sync -- ${q(path)} 2>/dev/null || :; }`;
      check('upload to', path, await host.runScript(script, { stdin: source }));
    },

    download: async (path, sink) => {
      check('download', path, await host.runScript(`cat -- ${q(path)}`, { stdout: sink }));
    },
  };
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
