// Entry point: argv → command. Commands are imported lazily so that `drbook --help`
// and `drbook validate` start fast (etcd3/grpc and ssh2 load only when used).

import { readFileSync } from 'node:fs';
import { DrbookError, InputError, errorMessage } from '../core/errors.js';

type CommandModule = { default: (argv: string[]) => Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  run: { summary: 'Run a runbook (on the inventory\'s hosts, or locally)', load: () => import('./commands/run.js') },
  plan: { summary: 'Show what a run would do: the plan and the probes\' findings (= run --dry-run)', load: () => import('./commands/plan.js') },
  validate: { summary: 'Check runbooks and inventories; every error with file:line:col', load: () => import('./commands/validate.js') },
  schema: { summary: 'Print the JSON Schema of the runbook format (for editors)', load: () => import('./commands/schema.js') },
  runs: { summary: 'List runs and their state', load: () => import('./commands/runs.js') },
  resume: { summary: 'Continue a run that was cut off (re-probes the step in flight)', load: () => import('./commands/resume.js') },
  rollback: { summary: 'Undo what a stopped or crashed run changed', load: () => import('./commands/rollback.js') },
  report: { summary: 'Print a Markdown timeline of a run, for the post-incident write-up', load: () => import('./commands/report.js') },
  rehearse: { summary: 'Prove a snapshot and a runbook restore, for real, on a throw-away sandbox', load: () => import('./commands/rehearse.js') },
  demo: { summary: 'Watch a disaster and its recovery on a local sandbox (kubectl before and after)', load: () => import('./commands/demo.js') },
  sandbox: { summary: 'A local stand-in for a kubeadm control plane: up, down, status, snapshot', load: async () => ({ default: (await import('./commands/sandbox.js')).sandboxCommand }) },
};

export async function main(argv: string[]): Promise<void> {
  const code = await dispatch(argv);
  process.exitCode = code;
}

async function dispatch(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`drbook: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  try {
    const module = await command.load();
    return await module.default(rest);
  } catch (error) {
    return reportError(error);
  }
}

/** The one place errors reach the operator: a message, never a stack (unless DRBOOK_DEBUG). */
export function reportError(error: unknown): number {
  if (process.env.DRBOOK_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  if (error instanceof InputError) {
    process.stderr.write(`error: ${error.issues.length > 1 ? `${error.issues.length} problems:\n` : ''}${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
    return 2;
  }
  if (error instanceof DrbookError) {
    process.stderr.write(`error: ${error.describe()}\n`);
    return error.kind === 'locked' || error.kind === 'input' ? 2 : 1;
  }
  process.stderr.write(`error: ${errorMessage(error)}\n(this is a bug in drbook; run with DRBOOK_DEBUG=1 for details)\n`);
  return 1;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const list = Object.entries(COMMANDS)
    .map(([n, c]) => `  ${n.padEnd(width + 2)}${c.summary}`)
    .join('\n');
  return `drbook ${version()} — disaster-recovery runbooks for Kubernetes control planes

Usage: drbook <command> [options]    (drbook <command> --help for each)

Commands:
${list}

Exit codes: 0 done, 1 failed and rolled back (or the plan shows the run would fail),
2 invalid input, 3 failed and changes are still applied (a human must look), 130 interrupted.
State (journals, locks): $DRBOOK_STATE_DIR, else $XDG_STATE_HOME/drbook, else ~/.local/state/drbook.
`;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}
