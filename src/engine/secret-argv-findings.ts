// Secrets reach commands through the environment (ShellCommand.toShell()), so no
// shell's command line holds one. But when the script hands the value to a program as
// an argument (`curl -u user:{{ params.token }}`), the shell expands it into that
// program's argv, which every user of the host can read while it runs. drbook cannot
// change the program; the plan says so, naming the step, the param and the program,
// with the program's own way to take the value from the environment, a file or stdin.

import type { Finding } from '../core/action.js';
import { ShellCommand } from '../shell/command.js';
import type { HostStep } from './compile.js';

/** Ways to keep a value out of argv, for programs the runbooks of the field use. */
const WAYS: Record<string, (param: string) => string> = {
  curl: (p) => `curl reads options from stdin: printf 'user = "USER:%s"\\n' {{ params.${p} }} | curl -K - URL (printf is a shell builtin)`,
  etcdctl: (p) => `etcdctl reads ETCDCTL_USER / ETCDCTL_PASSWORD from its environment: ETCDCTL_USER=root ETCDCTL_PASSWORD={{ params.${p} }} etcdctl ...`,
  kubectl: () => 'kubectl takes a token from a kubeconfig file (--kubeconfig FILE, mode 0600) instead of --token',
  mysql: (p) => `mysql reads MYSQL_PWD: MYSQL_PWD={{ params.${p} }} mysql ...`,
  psql: (p) => `psql reads PGPASSWORD: PGPASSWORD={{ params.${p} }} psql ...`,
  sshpass: (p) => `sshpass -e reads SSHPASS: SSHPASS={{ params.${p} }} sshpass -e ...`,
  docker: (p) => `docker login reads the password from stdin: printf '%s' {{ params.${p} }} | docker login --password-stdin ...`,
};

function howToAvoid(program: string, param: string): string {
  const base = program.split('/').pop() ?? program;
  const known = WAYS[base];
  if (known) return known(param);
  return `if it reads the value from an environment variable: NAME={{ params.${param} }} ${base} ...; from stdin: printf '%s' {{ params.${param} }} | ${base} ... (printf is a shell builtin: no command line)`;
}

/** One warning per secret param and program that a step's commands put in argv on this host. */
export function findSecretsInArgv(hostStep: HostStep): Finding[] {
  const args = hostStep.args;
  if (args === null || typeof args !== 'object') return [];
  const findings: Finding[] = [];
  for (const [field, value] of Object.entries(args as Record<string, unknown>)) {
    if (value instanceof ShellCommand) {
      for (const { name, program } of value.secretsInArgv) {
        findings.push({
          level: 'warn',
          message:
            `step ${hostStep.step.id}: secret param \`${name}\` is passed to ${program} as an argument (\`${field}:\`), so it is in that process's command line, ` +
            `which every user of ${hostStep.host.name} can read (/proc/PID/cmdline) while it runs; ${howToAvoid(program, name)}`,
        });
      }
    } else {
      for (const name of secretsIn(value, hostStep.secrets ?? {})) {
        findings.push({
          level: 'warn',
          message:
            `step ${hostStep.step.id}: secret param \`${name}\` is in \`with.${field}\`: where ${hostStep.action.name} hands that value to a program as an argument, ` +
            `every user of ${hostStep.host.name} can read it in that process's command line (/proc/PID/cmdline) while it runs (drbook keeps it out of the shell's own)`,
        });
      }
    }
  }
  return findings;
}

/** Names of the secrets whose values appear in a plain `with:` value (deep). */
function secretsIn(value: unknown, secrets: Record<string, string>): string[] {
  const texts: string[] = [];
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') texts.push(v);
    else if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === 'object') stack.push(...Object.values(v));
  }
  return Object.entries(secrets)
    .filter(([, secret]) => secret !== '' && texts.some((t) => t.includes(secret)))
    .map(([name]) => name);
}
