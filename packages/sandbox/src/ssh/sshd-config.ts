// sshd_config for a sandbox (or test) OpenSSH server: key-only logins for the current
// user, everything it needs inside one folder, and a session environment that keeps
// commands as fast and as predictable as the local transport.

export interface SshdConfigOptions {
  address: string;
  port: number;
  /** Absolute paths of the private host keys. */
  hostKeys: string[];
  authorizedKeysFile: string;
  pidFile: string;
  /** Sessions per connection (OpenSSH's default is 10). */
  maxSessions?: number;
  /** PATH of every session; default sshd's compiled-in one. */
  path?: string;
  /** More sshd_config lines, appended. */
  extraLines?: string[];
}

/** A value for SetEnv: sshd_config splits on spaces and understands double quotes. */
function setEnvArg(name: string, value: string): string {
  if (/["\\\n]/.test(value)) throw new Error(`internal: ${name} cannot be written to sshd_config: ${JSON.stringify(value)}`);
  return /\s/.test(value) ? `"${name}=${value}"` : `${name}=${value}`;
}

export function renderSshdConfig(options: SshdConfigOptions): string {
  const env = [
    // bash sources ~/.bashrc for a command run by sshd unless SHLVL is set; root's
    // .bashrc on these machines runs `pyenv init` (~0.3 s per command), which would be
    // measured as the engine's overhead and would make SSH runs differ from local ones.
    setEnvArg('SHLVL', '1'),
    ...(options.path ? [setEnvArg('PATH', options.path)] : []),
  ];
  const lines = [
    '# Written by drbook: an OpenSSH server of a throw-away sandbox or test.',
    `ListenAddress ${options.address}:${options.port}`,
    ...options.hostKeys.map((key) => `HostKey ${key}`),
    `PidFile ${options.pidFile}`,
    `AuthorizedKeysFile ${options.authorizedKeysFile}`,
    // The sandbox folder is not root-only (it lives under the operator's state dir or /tmp).
    'StrictModes no',
    // No PAM: no account/session modules of the host machine get involved.
    'UsePAM no',
    // VERBOSE logs each accepted key and connection: tests count connections from it.
    'LogLevel VERBOSE',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    // The sandbox user is whoever runs it, root on the lab machines.
    'PermitRootLogin prohibit-password',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'Subsystem sftp internal-sftp',
    `MaxSessions ${options.maxSessions ?? 10}`,
    `SetEnv ${env.join(' ')}`,
    ...(options.extraLines ?? []),
  ];
  return lines.join('\n') + '\n';
}
